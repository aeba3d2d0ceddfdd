"""Labelled questions for evaluation: SQuAD-format JSON, or a simple JSONL of users' own labels.

SQuAD: `{"data": [{"title", "paragraphs": [{"context", "qas": [{"id", "question", "answers": [{"text"}],
"is_impossible"?}]}]}]}`. JSONL: one `{"question", "answers": [...], "context"?, "id"?}` per line;
an empty `answers` list (or SQuAD's `is_impossible`) marks a question the corpus cannot answer.

Real held-out files carry a few broken records (CMRC 2018 has blank questions). A record with a
blank or missing question, missing fields, or a gold answer that is not in its own context is
skipped and reported (`Dataset.skipped`), as corpus reading skips an unreadable file; a file is
refused only when nothing usable is left in it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from qa.errors import BadRequest
from qa.text.script import is_unicode


@dataclass
class Example:
    id: str
    question: str
    answers: list[str]
    context: str | None = None
    article: int | None = None  # index of its article in the file (SQuAD), for folds

    @property
    def answerable(self) -> bool:
        return bool(self.answers)


@dataclass(frozen=True)
class Skipped:
    """A record left out of a dataset, and why."""

    id: str
    reason: str


@dataclass
class Dataset:
    name: str
    examples: list[Example]
    articles: list[tuple[str, list[str]]] = field(default_factory=list)  # (title, paragraphs) for --build
    skipped: list[Skipped] = field(default_factory=list)

    def skipped_summary(self, first: int = 3) -> str | None:
        """One line for the user: how many records were skipped, the first few ids and why; None if none."""
        if not self.skipped:
            return None
        shown = ", ".join(f"{s.id} ({s.reason})" for s in self.skipped[:first])
        more = ", ..." if len(self.skipped) > first else ""
        return f"{self.name}: skipped {len(self.skipped)} malformed record(s): {shown}{more}"


def load_dataset(path: str | Path) -> Dataset:
    """Read a SQuAD-format .json or a labels .jsonl file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadRequest(f"cannot read dataset {path}: {exc}", code="dataset_error") from exc
    if path.suffix.lower() == ".jsonl":
        return _usable(path, _from_jsonl(path, text))
    try:
        data = json.loads(text)
        dataset = _from_squad(path, data)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BadRequest(
            f"{path} is not SQuAD-format JSON ({exc.__class__.__name__}: {exc})", code="dataset_error"
        ) from exc
    return _usable(path, dataset)


def _usable(path: Path, dataset: Dataset) -> Dataset:
    """The dataset, unless skipping broken records left no question in it."""
    if not dataset.examples:
        why = f"; {dataset.skipped_summary()}" if dataset.skipped else ""
        raise BadRequest(f"{path} holds no usable labelled question{why}", code="dataset_error")
    return dataset


def parse_fold(text: str) -> tuple[int, int]:
    """'K/N' -> (K, N), with 1 <= K <= N (ValueError otherwise)."""
    try:
        part, parts = (int(x) for x in text.split("/"))
    except ValueError:
        raise ValueError(f"'{text}' is not a fold K/N, e.g. 2/2") from None
    if not 1 <= part <= parts:
        raise ValueError(f"fold {text} does not exist; use K/N with 1 <= K <= N")
    return part, parts


def in_fold(article: int, part: int, parts: int) -> bool:
    """Whether the article at this 0-based index is in fold `part`/`parts`: the one rule that
    `eval --fold` and `train-reader --data-fold` share, so their folds never overlap."""
    return article % parts == part - 1


def fold(dataset: Dataset, part: int, parts: int) -> Dataset:
    """The questions of every `parts`-th article starting at `part` (1-based): disjoint folds by article,
    so that, e.g., a reader's threshold chosen on fold 1/2 is reported on fold 2/2 of the same file.
    Articles stay whole (questions about one text never land on both sides); all contexts are kept
    for indexing, so the folds share the distractors."""
    if not 1 <= part <= parts:
        raise BadRequest(f"fold {part}/{parts} does not exist; use K/N with 1 <= K <= N", code="invalid_setting")
    keep = [
        ex for i, ex in enumerate(dataset.examples) if in_fold(ex.article if ex.article is not None else i, part, parts)
    ]
    return Dataset(f"{dataset.name}[{part}/{parts}]", keep, dataset.articles, dataset.skipped)


def _from_squad(path: Path, data: dict) -> Dataset:
    """The file's shape (`data` of articles of `paragraphs`) must hold; single broken records are skipped."""
    examples: list[Example] = []
    articles: list[tuple[str, list[str]]] = []
    skipped: list[Skipped] = []
    for n, article in enumerate(data["data"]):
        title = str(article.get("title") or article.get("id") or f"{path.stem}-{n}")
        paragraphs = []
        for p, paragraph in enumerate(article["paragraphs"]):
            context = paragraph.get("context")
            qas = paragraph.get("qas")
            if not isinstance(context, str) or not isinstance(qas, list):
                skipped.append(Skipped(f"{title}/{p}", "a paragraph needs 'context' and 'qas'"))
                continue
            if not is_unicode(context):
                skipped.append(Skipped(f"{title}/{p}", _SURROGATE.replace("question", "context")))
                continue
            paragraphs.append(context)
            for k, qa in enumerate(qas):
                record_id = str(qa.get("id", f"{title}/{p}/{k}")) if isinstance(qa, dict) else f"{title}/{p}/{k}"
                example = _squad_example(record_id, qa, context, n)
                if isinstance(example, Skipped):
                    skipped.append(example)
                else:
                    examples.append(example)
        articles.append((title, paragraphs))
    return Dataset(path.stem, examples, articles, skipped)


def _squad_example(record_id: str, qa: object, context: str, article: int) -> Example | Skipped:
    if not isinstance(qa, dict):
        return Skipped(record_id, "not an object")
    question = qa.get("question")
    if not isinstance(question, str) or not question.strip():
        return Skipped(record_id, "blank question")
    if not is_unicode(question):
        return Skipped(record_id, _SURROGATE)
    raw = qa.get("answers", [])
    if not isinstance(raw, list) or not all(isinstance(a, dict) and isinstance(a.get("text"), str) for a in raw):
        return Skipped(record_id, "answers must be a list of {'text': ...}")
    answers = [] if qa.get("is_impossible") else _unique(a["text"] for a in raw)
    if answers and not any(a in context for a in answers):
        return Skipped(record_id, "answer not in its context")
    return Example(record_id, question, answers, context, article)


def _from_jsonl(path: Path, text: str) -> Dataset:
    examples = []
    skipped: list[Skipped] = []
    contexts: dict[str, None] = {}
    # Lines end at "\n" only: str.splitlines() also splits at U+2028/U+2029/U+0085, which JSON
    # written with ensure_ascii=False (ours, bench/speed.py's) carries unescaped inside strings.
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            skipped.append(Skipped(f"line {number}", "not JSON"))
            continue
        record_id = str(record.get("id", f"{path.stem}-{number}")) if isinstance(record, dict) else f"line {number}"
        example = _jsonl_example(record_id, record)
        if isinstance(example, Skipped):
            skipped.append(example)
            continue
        if example.context:
            contexts.setdefault(example.context, None)
        examples.append(example)
    articles = [(f"{path.stem}-{n}", [c]) for n, c in enumerate(contexts)]
    return Dataset(path.stem, examples, articles, skipped)


def _jsonl_example(record_id: str, record: object) -> Example | Skipped:
    if not isinstance(record, dict):
        return Skipped(record_id, 'not a label line like {"question": "...", "answers": ["..."]}')
    question, answers = record.get("question"), record.get("answers", [])
    if not isinstance(question, str) or not question.strip():
        return Skipped(record_id, "blank question")
    if not is_unicode(question):
        return Skipped(record_id, _SURROGATE)
    if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
        return Skipped(record_id, "answers must be a list of strings")
    context = record.get("context")
    context = context if isinstance(context, str) and context else None
    if context is not None and not is_unicode(context):
        return Skipped(record_id, _SURROGATE.replace("question", "context"))
    answers = _unique(answers)
    if context and answers and not any(a in context for a in answers):
        return Skipped(record_id, "answer not in its context")
    return Example(record_id, question, answers, context)


_SURROGATE = 'the question holds a lone surrogate escape (like "\\ud800"), which is not text'


def _unique(items) -> list[str]:
    return list(dict.fromkeys(t for t in items if t))
