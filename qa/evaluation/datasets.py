"""Labelled questions for evaluation: SQuAD-format JSON, or a simple JSONL of users' own labels.

SQuAD: `{"data": [{"title", "paragraphs": [{"context", "qas": [{"id", "question", "answers": [{"text"}],
"is_impossible"?}]}]}]}`. JSONL: one `{"question", "answers": [...], "context"?, "id"?}` per line;
an empty `answers` list (or SQuAD's `is_impossible`) marks a question the corpus cannot answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from qa.errors import BadRequest


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


@dataclass
class Dataset:
    name: str
    examples: list[Example]
    articles: list[tuple[str, list[str]]] = field(default_factory=list)  # (title, paragraphs) for --build


def load_dataset(path: str | Path) -> Dataset:
    """Read a SQuAD-format .json or a labels .jsonl file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadRequest(f"cannot read dataset {path}: {exc}", code="dataset_error") from exc
    if path.suffix.lower() == ".jsonl":
        return _from_jsonl(path, text)
    try:
        data = json.loads(text)
        return _from_squad(path, data)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BadRequest(
            f"{path} is not SQuAD-format JSON ({exc.__class__.__name__}: {exc})", code="dataset_error"
        ) from exc


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
    return Dataset(f"{dataset.name}[{part}/{parts}]", keep, dataset.articles)


def _from_squad(path: Path, data: dict) -> Dataset:
    examples: list[Example] = []
    articles: list[tuple[str, list[str]]] = []
    for n, article in enumerate(data["data"]):
        title = str(article.get("title") or article.get("id") or f"{path.stem}-{n}")
        paragraphs = []
        for paragraph in article["paragraphs"]:
            context = paragraph["context"]
            paragraphs.append(context)
            for qa in paragraph["qas"]:
                answers = [] if qa.get("is_impossible") else _unique(a["text"] for a in qa.get("answers", []))
                examples.append(Example(str(qa["id"]), qa["question"], answers, context, n))
        articles.append((title, paragraphs))
    return Dataset(path.stem, examples, articles)


def _from_jsonl(path: Path, text: str) -> Dataset:
    examples = []
    contexts: dict[str, None] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            question, answers = record["question"], record.get("answers", [])
            if (
                not isinstance(question, str)
                or not isinstance(answers, list)
                or not all(isinstance(a, str) for a in answers)
            ):
                raise TypeError("question must be a string and answers a list of strings")
        except (ValueError, KeyError, TypeError) as exc:
            raise BadRequest(
                f'{path}:{number}: not a label line like {{"question": "...", "answers": ["..."]}} ({exc})',
                code="dataset_error",
            ) from exc
        context = record.get("context")
        if isinstance(context, str) and context:
            contexts.setdefault(context, None)
        examples.append(Example(str(record.get("id", f"{path.stem}-{number}")), question, _unique(answers), context))
    articles = [(f"{path.stem}-{n}", [c]) for n, c in enumerate(contexts)]
    return Dataset(path.stem, examples, articles)


def _unique(items) -> list[str]:
    return list(dict.fromkeys(t for t in items if t))
