"""Build an index directory from a corpus folder: passages, vectors, BM25, manifest."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from embeddings.encoder import Encoder
from embeddings.onnx_engine import GRAPH_VERSION
from qa.errors import CorpusError, IndexUnavailable
from qa.ingest import metadata
from qa.ingest.corpus import CorpusReport, corpus_checksum, read_corpus
from qa.ingest.documents import Document, content_hash
from qa.ingest.ingest_report import ingest_report, write_report
from qa.ingest.passages import MAX_CHARS, MIN_CHARS, Passage, split_passages
from qa.ingest.readers.fingerprint import fingerprint
from qa.retrieval import cosine_scale
from qa.store import bm25, catalog, factory, read_manifest, sentences, versions
from qa.store.backend import BackendSettings
from qa.store.index import StoredIndex
from qa.store.publish import publish
from qa.store.spec import TORCH, IndexSpec
from qa.store.writer import Rows, VersionParts

# Bump when passage splitting changes, so `ragqa index --if-stale` rebuilds old indexes.
CHUNKER_VERSION = 4


class Embed(Protocol):
    """Embeds passage texts as `Encoder.encode_passages` does: L2-normalised float32 rows, in order."""

    def __call__(self, texts: Sequence[str], progress: bool = False) -> np.ndarray: ...


@dataclass
class BuildReport:
    index_dir: Path
    documents: int
    passages: int
    seconds: float
    skipped: list[str] = field(default_factory=list)
    version: str | None = None
    passages_by_document: dict[str, int] = field(default_factory=dict)
    report_path: Path | None = None  # the ingest report beside the index (`qa.ingest.ingest_report`)

    @property
    def passages_per_second(self) -> float:
        return self.passages / self.seconds if self.seconds else 0.0


@dataclass(frozen=True)
class BuildSettings:
    """How a build or an update splits, embeds and stores: one object through the whole write path.

    Attributes:
        max_chars: the longest passage, in characters (`qa.ingest.passages.split_passages`).
        keep: versions kept under the root (the live one always stays).
        backend: where the vectors go: FAISS files in the version (the default) or a Milvus collection.
        embed: what embeds passages instead of `encoder.encode_passages` (`qa.ingest.ray_build.RayEmbedder`).
        sentence_vectors: "pooled" from the passages' own pass, or "encoded" apart (`qa.store.sentences`);
            an update keeps the live version's way.
        bars: show the encoder's progress bars while embedding.
    """

    max_chars: int = MAX_CHARS
    keep: int = versions.DEFAULT_KEEP
    backend: BackendSettings = field(default_factory=BackendSettings)
    embed: Embed | None = None
    sentence_vectors: str = sentences.DEFAULT_MODE
    bars: bool = False

    def check(self) -> None:
        self.backend.check()
        if self.sentence_vectors not in sentences.MODES:
            raise ValueError(f"sentence vectors are one of {', '.join(sentences.MODES)}, not {self.sentence_vectors!r}")

    def chunking(self) -> dict[str, int]:
        return chunking_settings(self.max_chars)


@dataclass(frozen=True)
class Base:
    """What a new version starts from besides the documents parsed now: the live version, the documents
    whose passages and vectors it carries over, and the entries of those not parsed again."""

    live: StoredIndex
    carried: frozenset[str]
    entries: dict[str, catalog.Entry]


@dataclass
class Written:
    """A version just published by `write_version`."""

    version: versions.Version
    passages: int
    embedded: int  # passages embedded now (the rest were carried over)
    entries: list[catalog.Entry]  # every document's, in passage order


def chunking_settings(max_chars: int = MAX_CHARS, min_chars: int = MIN_CHARS) -> dict[str, int]:
    return {"version": CHUNKER_VERSION, "max_chars": max_chars, "min_chars": min_chars}


def build_index(
    corpus_dir: str | Path,
    index_dir: str | Path,
    encoder: Encoder,
    progress: bool = False,
    max_chars: int = MAX_CHARS,
    keep: int = versions.DEFAULT_KEEP,
    backend: BackendSettings | None = None,
    embed: Embed | None = None,
    sentence_vectors: str = sentences.DEFAULT_MODE,
) -> BuildReport:
    """Read, split, embed and publish a new version; the live one serves until the new one is complete.

    Args:
        backend: where the vectors go: FAISS files in the version (the default) or a Milvus collection.
        embed: what embeds passages instead of `encoder.encode_passages` (`qa.ingest.ray_build.RayEmbedder`).
        sentence_vectors: "pooled" from the passages' own pass, or "encoded" apart (`qa.store.sentences`).
    """
    started = time.perf_counter()
    settings = BuildSettings(max_chars, keep, backend or BackendSettings(), embed, sentence_vectors, progress)
    settings.check()
    corpus = read_corpus(corpus_dir, progress=progress)
    corpus.require_documents(corpus_dir)
    source = corpus_source(corpus_dir, corpus)

    def record(built: BuildReport) -> None:
        seconds = time.perf_counter() - started
        report = ingest_report(corpus_dir, corpus, built.version, built.passages_by_document, seconds)
        built.report_path = write_report(index_dir, report)

    report = _index(corpus.documents, source, index_dir, encoder, settings, published=record)
    report.seconds = time.perf_counter() - started
    report.skipped = corpus.skipped
    return report


def index_documents(
    documents: list[Document],
    source: dict[str, Any],
    index_dir: str | Path,
    encoder: Encoder,
    progress: bool = False,
    max_chars: int = MAX_CHARS,
    keep: int = versions.DEFAULT_KEEP,
    backend: BackendSettings | None = None,
    embed: Embed | None = None,
    sentence_vectors: str = sentences.DEFAULT_MODE,
    published: Callable[[BuildReport], None] | None = None,
) -> BuildReport:
    """Split documents into passages, embed them and publish them as a new version of the index root.

    A second build of the same root while this one runs is refused (IndexBusy) before any work.

    Args:
        published: called with the report once the version is live, while the root is still locked
            (a build's ingest report is written there, so a later build's cannot be overwritten by it).
    """
    settings = BuildSettings(max_chars, keep, backend or BackendSettings(), embed, sentence_vectors, progress)
    settings.check()
    return _index(documents, source, index_dir, encoder, settings, published)


def _index(
    documents: Sequence[Document],
    source: dict[str, Any],
    index_dir: str | Path,
    encoder: Encoder,
    settings: BuildSettings,
    published: Callable[[BuildReport], None] | None = None,
) -> BuildReport:
    """A full build: an update of nothing, under the root's build lock."""
    started = time.perf_counter()
    with versions.build_lock(index_dir):
        written = write_version(documents, [d.id for d in documents], source, index_dir, encoder, settings)
        report = BuildReport(
            Path(index_dir),
            len(documents),
            written.passages,
            time.perf_counter() - started,
            version=written.version.name,
            passages_by_document={entry.id: entry.passages for entry in written.entries},
        )
        if published is not None:
            published(report)
        return report


def write_version(
    documents: Sequence[Document],
    order: Sequence[str],
    source: dict[str, Any],
    index_dir: str | Path,
    encoder: Encoder,
    settings: BuildSettings,
    base: Base | None = None,
    say: Callable[[str], None] | None = None,
) -> Written:
    """Split, embed and publish the documents of `order` as a new version; the one write path of
    builds and updates (the caller holds the root's build lock).

    Args:
        documents: those parsed now; a document in `base.carried` keeps the live version's passages.
        order: every document's id in the corpus's order, which the passages follow as a full build's do.
        base: what an update carries over from the live version; None: a full build (every row new).
        say: called with one line per stage (embedding, publishing).
    """
    say = say or (lambda _line: None)
    carried = base.carried if base is not None else frozenset()
    live = base.live if base is not None else None
    fresh = [d for d in documents if d.id not in carried]
    new_passages = split_passages(fresh, max_chars=settings.max_chars, fits=encoder.fits)
    kept = sum(e.passages for e in live.documents or [] if e.id in carried) if live is not None else 0
    if not new_passages and not kept:
        raise CorpusError(
            f"the {len(order)} document(s) given hold no text to index; add documents with text, "
            "then run again (nothing was written)"
        )
    say(f"embedding {len(new_passages)} passages of {len(fresh)} documents")
    # New sentences are made as the live version's were, so one index never mixes the two kinds.
    mode = settings.sentence_vectors
    if live is not None:
        mode = (live.manifest.get("sentences") or {}).get("vectors", "encoded")
    new_vectors, new_sentences, mode = embed_passages(new_passages, encoder, settings.embed, mode, settings.bars)
    if live is None:  # nothing carried over: the passages are already in the documents' order
        passages, origin, sentence_vectors = new_passages, np.full(len(new_passages), -1, dtype=np.int64), new_sentences
    else:
        passages, origin, sentence_vectors = _assemble(order, carried, live, new_passages, new_sentences, encoder.dim)
    scale = live.manifest["model"].get("cosine_scale") if live is not None else None
    manifest = build_manifest(encoder, source, len(order), settings.max_chars, scale=scale, sentence_mode=mode)
    texts = [p.embedding_text() for p in passages]
    say(f"publishing {len(passages)} passages ({settings.backend.kind})")
    entries = document_entries(list(documents), passages)  # everything parsed now
    if base is not None:
        made = {e.id: e for e in entries}
        entries = [made.get(i) or base.entries[i] for i in order]
    store = live.store if live is not None and live.store is not None else factory.store(settings.backend, index_dir)
    rows = Rows([p.to_dict() for p in passages], texts, origin, new_vectors)
    parts = VersionParts(manifest, bm25.build(texts), sentence_vectors, entries)
    version = publish(index_dir, rows, parts, store, keep=settings.keep)
    return Written(version, len(passages), len(new_passages), entries)


def embed_passages(
    passages: Sequence[Passage], encoder: Encoder, embed: Embed | None, sentence_mode: str, progress: bool
) -> tuple[np.ndarray, np.ndarray, str]:
    """The passages' vectors and their sentences' vectors, and how the latter were made: pooled from
    the passages' own pass where the model allows it, else encoded apart (`qa.store.sentences`)."""
    texts = [p.embedding_text() for p in passages]
    bodies = [p.text for p in passages]
    # Pooling needs the token states, which only the encoder's own pass has (not a Ray job's actors).
    if sentence_mode == "pooled" and embed is None and encoder.mean_pooled:
        return (*sentences.with_passages(texts, bodies, encoder, progress), "pooled")
    encode = embed or encoder.encode_passages
    return encode(texts, progress), sentences.encode(bodies, encoder, progress, encode), "encoded"


def corpus_source(corpus_dir: str | Path, corpus: CorpusReport) -> dict[str, Any]:
    """What a version records of the corpus it was built from: where, its checksum, and every file
    skipped with the reason (the build's report, kept in the manifest beside the index)."""
    skipped = [{"file": where, "reason": why} for where, _, why in (s.partition(": ") for s in corpus.skipped)]
    return {
        "path": str(Path(corpus_dir).resolve()),
        "checksum": corpus.checksum,
        "readers": fingerprint(),  # an update reuses unchanged files' documents only under the same readers
        "skipped": skipped,
    }


def build_manifest(
    encoder: Encoder,
    source: dict[str, Any],
    documents: int,
    max_chars: int,
    scale: dict[str, Any] | None = None,
    sentence_mode: str = "encoded",
) -> dict[str, Any]:
    """What a version says about how it was built (the model, the corpus, the splitting).

    Args:
        scale: the model's cosine scale when already known (an update keeps the live version's); measured otherwise.
        sentence_mode: how its sentence vectors were made (`qa.store.sentences.MODES`); an update keeps it.
    """
    spec = IndexSpec.of(encoder, chunking_settings(max_chars), sentence_mode).to_manifest()
    return {
        "model": {**spec["model"], "cosine_scale": scale or cosine_scale.measured(encoder).to_dict()},
        "corpus": {**source, "documents": documents},
        "chunking": spec["chunking"],
        "sentences": spec["sentences"],
    }


def document_entries(documents: list[Document], passages: list[Passage]) -> list[catalog.Entry]:
    """Each document's content hash, passage count and metadata, in passage order."""
    counts = Counter(p.doc for p in passages)
    return [
        catalog.Entry(d.id, content_hash(d), counts[d.id], d.digest, d.path if d.digest else None, metadata.of(d))
        for d in documents
    ]


def stale_reason(corpus_dir: str | Path, index_dir: str | Path, wanted: IndexSpec) -> str | None:
    """Why the index must be rebuilt for this corpus and these settings, or None when it is current.

    Args:
        wanted: what a build would make that is known before its model loads: the model's id, and
            where the caller knows them the engine, the sentence-vector mode and the backend (a field
            left None is not asked about). The splitting and the ONNX export's version are this code's.
    """
    try:
        manifest = read_manifest(index_dir)
    except IndexUnavailable as exc:
        return str(exc)
    # An exported graph is held to the current export; under an engine not named, whichever it was.
    graph = None if wanted.inference == TORCH else GRAPH_VERSION
    wanted = replace(wanted, graph=graph, chunker=CHUNKER_VERSION, min_chars=MIN_CHARS)
    if (reason := wanted.mismatch(IndexSpec.from_manifest(manifest))) is not None:
        return reason
    if manifest.get("corpus", {}).get("checksum") != corpus_checksum(corpus_dir):
        return "the corpus has changed since the index was built"
    return None


def _rows_by_document(live: StoredIndex) -> dict[str, range]:
    """Each document's rows in the live version (a document's passages are consecutive)."""
    rows: dict[str, range] = {}
    start = 0
    for entry in live.documents or []:
        rows[entry.id] = range(start, start + entry.passages)
        start += entry.passages
    return rows


def _assemble(
    order: Sequence[str],
    carried: Collection[str],
    live: StoredIndex | None,
    new_passages: list[Passage],
    new_sentences: np.ndarray,
    dim: int,
) -> tuple[list[Passage], np.ndarray, np.ndarray]:
    """Passages in the corpus's document order (as a full build orders them), each one's row in the live
    version (-1: embedded now; those keep the order of `new_passages`), and the sentence vectors."""
    old_rows = _rows_by_document(live) if live is not None else {}
    fresh_rows: dict[str, list[int]] = {}
    for n, passage in enumerate(new_passages):
        fresh_rows.setdefault(passage.doc, []).append(n)
    fresh_sentences = _sentence_slices([p.text for p in new_passages])
    passages: list[Passage] = []
    origin: list[int] = []
    sentence_parts: list[np.ndarray] = [np.zeros((0, dim), dtype=np.float16)]
    for doc_id in order:
        if doc_id in carried and live is not None:
            for row in old_rows[doc_id]:
                passage = Passage.from_dict(live.records[row])
                passages.append(passage)
                origin.append(row)
                sentence_parts.append(_known_sentences(live, passage.text, dim))
        else:
            for n in fresh_rows.get(doc_id, []):
                passages.append(new_passages[n])
                origin.append(-1)
                sentence_parts.append(new_sentences[fresh_sentences[n]])
    return passages, np.asarray(origin, dtype=np.int64), np.concatenate(sentence_parts).astype(np.float16)


def _sentence_slices(texts: list[str]) -> list[slice]:
    """Each passage's rows in the array `sentences.encode(texts)` returns."""
    out, start = [], 0
    for text in texts:
        count = len(sentences.passage_sentences([text]))
        out.append(slice(start, start + count))
        start += count
    return out


def _known_sentences(live: StoredIndex, text: str, dim: int) -> np.ndarray:
    """A carried-over passage's sentence vectors (float16 on disk, so the round trip is exact)."""
    rows = [live.sentence_vectors[s] for s in sentences.passage_sentences([text])]
    return np.stack(rows).astype(np.float16) if rows else np.zeros((0, dim), dtype=np.float16)
