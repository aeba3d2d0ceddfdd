"""Build an index directory from a corpus folder: passages, vectors, BM25, manifest."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
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
from qa.store import bm25, catalog, read_manifest, sentences, versions
from qa.store.backend import BackendSettings
from qa.store.index import Rows, save_rows
from qa.store.spec import TORCH, IndexSpec

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
    corpus = read_corpus(corpus_dir, progress=progress)
    corpus.require_documents(corpus_dir)
    source = corpus_source(corpus_dir, corpus)

    def record(built: BuildReport) -> None:
        seconds = time.perf_counter() - started
        report = ingest_report(corpus_dir, corpus, built.version, built.passages_by_document, seconds)
        built.report_path = write_report(index_dir, report)

    report = index_documents(
        corpus.documents,
        source,
        index_dir,
        encoder,
        progress,
        max_chars,
        keep,
        backend,
        embed,
        sentence_vectors,
        published=record,
    )
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
    settings = backend or BackendSettings()
    settings.check()
    if sentence_vectors not in sentences.MODES:
        raise ValueError(f"sentence vectors are one of {', '.join(sentences.MODES)}, not {sentence_vectors!r}")
    with versions.build_lock(index_dir):
        report = _index_locked(
            documents, source, index_dir, encoder, progress, max_chars, keep, settings, embed, sentence_vectors
        )
        if published is not None:
            published(report)
        return report


def _index_locked(
    documents: list[Document],
    source: dict[str, Any],
    index_dir: str | Path,
    encoder: Encoder,
    progress: bool,
    max_chars: int,
    keep: int,
    settings: BackendSettings,
    embed: Embed | None,
    sentence_mode: str,
) -> BuildReport:
    started = time.perf_counter()
    passages = split_passages(documents, max_chars=max_chars, fits=encoder.fits)
    if not passages:
        raise CorpusError(
            f"the {len(documents)} document(s) given hold no text to index; add documents with text, "
            "then run again (nothing was written)"
        )
    texts = [p.embedding_text() for p in passages]
    vectors, sentence_vectors, sentence_mode = embed_passages(passages, encoder, embed, sentence_mode, progress)
    manifest = build_manifest(encoder, source, len(documents), max_chars, sentence_mode=sentence_mode)
    entries = document_entries(documents, passages)
    published = save_rows(
        index_dir,
        Rows([p.to_dict() for p in passages], texts, np.full(len(passages), -1, dtype=np.int64), vectors),
        None,
        settings,
        manifest,
        bm25.build(texts),
        sentence_vectors,
        entries,
        keep=keep,
    )
    return BuildReport(
        Path(index_dir),
        len(documents),
        len(passages),
        time.perf_counter() - started,
        version=published.name,
        passages_by_document={entry.id: entry.passages for entry in entries},
    )


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
