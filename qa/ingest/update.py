"""Update an index to its corpus without a full rebuild: embed only new or changed documents.

Each version lists its documents' content hashes (`qa.store.catalog`). An update compares them with
the corpus as it is now; an unchanged document keeps its passages, vectors and sentence vectors
from the live version, a new or changed one is split and embedded, a deleted one is left out. BM25
is rebuilt over every passage (its IDF depends on all of them, and it costs seconds, not the
minutes embedding does). Passages come out in the corpus's order, as a full build would put
them, so the new version holds what a rebuild would; it is published like a build (a new
version, then the pointer switch), and a failed update leaves the live version untouched.
In Milvus the carried-over rows stay where they are and only the new ones are inserted
(`qa.store.milvus`); in FAISS the flat index is rebuilt from the carried-over and new vectors.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.encoder import Encoder
from qa.errors import RagqaError
from qa.ingest import metadata
from qa.ingest.changes import Changes, compare
from qa.ingest.corpus import CorpusReport, KnownFile, read_corpus
from qa.ingest.documents import content_hash
from qa.ingest.indexer import (
    Embed,
    build_manifest,
    chunking_settings,
    corpus_source,
    document_entries,
    embed_passages,
)
from qa.ingest.ingest_report import ingest_report, write_report
from qa.ingest.passages import MAX_CHARS, Passage, split_passages
from qa.ingest.readers.fingerprint import fingerprint
from qa.store import bm25, catalog, read_files, sentences, versions
from qa.store.backend import FAISS, MILVUS, BackendSettings
from qa.store.index import Rows, StoredIndex, open_index, save_rows
from qa.store.spec import IndexSpec

Progress = Callable[[str], None]


@dataclass
class UpdateReport:
    index_dir: Path
    changes: Changes
    passages: int  # in the new version
    embedded: int  # passages embedded now (the rest were carried over)
    seconds: float
    version: str | None = None  # None when nothing changed and no version was written
    skipped: list[str] = field(default_factory=list)
    full_reason: str | None = None  # why every document was embedded, when one was
    passages_by_document: dict[str, int] = field(default_factory=dict)  # in the version now live
    report_path: Path | None = None  # the ingest report beside the index (`qa.ingest.ingest_report`)


def update_index(
    corpus_dir: str | Path,
    index_dir: str | Path,
    encoder: Encoder,
    progress: Progress | None = None,
    bars: bool = False,
    max_chars: int = MAX_CHARS,
    keep: int = versions.DEFAULT_KEEP,
    backend: BackendSettings | None = None,
    embed: Embed | None = None,
    sentence_vectors: str = sentences.DEFAULT_MODE,
) -> UpdateReport:
    """Bring the index up to date with the corpus, embedding only what changed.

    Args:
        progress: called with one line per stage (comparing, embedding, publishing).
        bars: show the encoder's progress bars while embedding.
        backend: where the new version's vectors go (FAISS files by default); rows are carried over
            from a live version of the same backend.
        embed: what embeds the new passages instead of `encoder.encode_passages` (a Ray build's actors).
        sentence_vectors: how a full embed makes sentence vectors; otherwise the live version's way is kept.
    """
    started = time.perf_counter()
    settings = backend or BackendSettings()
    settings.check()
    say = progress or (lambda _line: None)
    # Locked before reading: which files need no parsing is decided against the live version, which
    # must not change before the update publishes over it.
    with versions.build_lock(index_dir):
        live, listed, reason = _reusable(Path(index_dir), encoder, max_chars, settings)
        corpus = read_corpus(corpus_dir, progress=bars, known=_known_files(live))
        # An empty or all-skipped corpus is refused, not published as an index of nothing over the live one.
        corpus.require_documents(corpus_dir)
        source = corpus_source(corpus_dir, corpus)
        report = _update_locked(
            corpus,
            source,
            Path(index_dir),
            (live, listed, reason),
            encoder,
            say,
            bars,
            max_chars,
            keep,
            settings,
            embed,
            sentence_vectors,
        )
        # Written under the lock, so a later build's report is never overwritten by this one's.
        version = report.version or versions.pointer(index_dir)
        seconds = time.perf_counter() - started
        data = ingest_report(corpus_dir, corpus, version, report.passages_by_document, seconds)
        report.report_path = write_report(index_dir, data)
    report.skipped = corpus.skipped
    report.seconds = time.perf_counter() - started
    return report


def _update_locked(
    corpus: CorpusReport,
    source: dict[str, Any],
    index_dir: Path,
    reusable: tuple[StoredIndex | None, list[catalog.Entry] | None, str | None],
    encoder: Encoder,
    say: Progress,
    bars: bool,
    max_chars: int,
    keep: int,
    settings: BackendSettings,
    embed: Embed | None,
    sentence_mode: str,
) -> UpdateReport:
    live, listed, reason = reusable
    order = corpus.order
    parsed = {d.id: d for d in corpus.documents}
    before = {e.id: e for e in listed or []}
    # A document of an unchanged file (not parsed again) has the hash the live version recorded.
    changes = compare(listed or [], [(i, content_hash(parsed[i]) if i in parsed else before[i].hash) for i in order])
    # An unparsed file's documents keep their metadata but for its modification time, read now.
    modified = {doc: f.modified for f in corpus.files if f.unchanged for doc in f.documents}
    meta = {i: metadata.of(parsed[i]) if i in parsed else before[i].modified_at(modified.get(i)).meta for i in order}
    retagged = [i for i in changes.unchanged if meta[i] != before[i].meta]
    if live is not None and not changes.any and not retagged:
        say(f"no document changed since version {live.version}; the index is up to date")
        counts = {entry.id: entry.passages for entry in listed or []}
        return UpdateReport(index_dir, changes, len(live.records), 0, 0.0, None, passages_by_document=counts)
    retold = f", metadata of {len(retagged)} changed" if retagged else ""
    say(changes.summary() + retold + (f" (every document embedded: {reason})" if reason else ""))
    carried = set(changes.unchanged) if live is not None else set()
    fresh = [d for d in corpus.documents if d.id not in carried]
    new_passages = split_passages(fresh, max_chars=max_chars, fits=encoder.fits)
    say(f"embedding {len(new_passages)} passages of {len(fresh)} documents")
    # New sentences are made as the live version's were, so one index never mixes the two kinds.
    mode = (live.manifest.get("sentences") or {}).get("vectors", "encoded") if live is not None else sentence_mode
    new_vectors, new_sentences, mode = embed_passages(new_passages, encoder, embed, mode, bars)
    passages, origin, sentence_vectors = _assemble(order, carried, live, new_passages, new_sentences, encoder.dim)
    scale = live.manifest["model"].get("cosine_scale") if live is not None else None
    manifest = build_manifest(encoder, source, len(order), max_chars, scale=scale, sentence_mode=mode)
    texts = [p.embedding_text() for p in passages]
    say(f"publishing {len(passages)} passages ({settings.kind})")
    made = {e.id: e for e in document_entries(corpus.documents, passages)}  # everything parsed now
    entries = [made.get(i) or before[i].modified_at(modified.get(i)) for i in order]
    published = save_rows(
        index_dir,
        Rows([p.to_dict() for p in passages], texts, origin, new_vectors),
        live,
        settings,
        manifest,
        bm25.build(texts),
        sentence_vectors,
        entries,
        keep=keep,
    )
    counts = {entry.id: entry.passages for entry in entries}
    return UpdateReport(
        index_dir,
        changes,
        len(passages),
        len(new_passages),
        0.0,
        published.name,
        full_reason=reason,
        passages_by_document=counts,
    )


def _reusable(
    index_dir: Path, encoder: Encoder, max_chars: int, settings: BackendSettings
) -> tuple[StoredIndex | None, list[catalog.Entry] | None, str | None]:
    """The live version when its passages and vectors can be carried over (else None and why not),
    and its documents (for the summary, even when nothing can be carried over)."""
    try:
        live = open_index(read_files(index_dir), milvus_uri=settings.milvus_uri if settings.kind == MILVUS else None)
    except RagqaError as exc:  # none yet, unreadable, or its engine out of reach: a full build says why
        return None, None, f"no usable live version ({exc.message})"
    why = _why_not(live, encoder, max_chars, settings, index_dir)
    return (None if why else live), live.documents, why


def _why_not(live: StoredIndex, encoder: Encoder, max_chars: int, settings: BackendSettings, root: Path) -> str | None:
    # The sentence-vector mode is not asked about: new sentences are made as the live version's were.
    wanted = IndexSpec.of(encoder, chunking_settings(max_chars), backend=settings, root=root)
    if (reason := wanted.mismatch(IndexSpec.from_manifest(live.manifest))) is not None:
        return reason
    if live.documents is None or (live.records and not live.sentence_vectors):
        return "the live version has no document hashes (built by an older ragqa)"
    if sum(e.passages for e in live.documents) != len(live.records):
        return "the live version's document list does not match its passages"
    if settings.kind == FAISS and live.exact_vectors() is None:
        return "the live version's vector index does not keep its vectors exactly"
    return None


def _rows_by_document(live: StoredIndex) -> dict[str, range]:
    """Each document's rows in the live version (a document's passages are consecutive)."""
    rows: dict[str, range] = {}
    start = 0
    for entry in live.documents or []:
        rows[entry.id] = range(start, start + entry.passages)
        start += entry.passages
    return rows


def _known_files(live: StoredIndex | None) -> dict[str, KnownFile]:
    """The live version's files by path, where it kept their bytes' digests and was read by these
    readers: an update parses one again only when its bytes changed."""
    if live is None or (live.manifest.get("corpus") or {}).get("readers") != fingerprint():
        return {}  # read by other readers (an upgrade): every file is read again
    files: dict[str, tuple[str | None, list[str]]] = {}
    for entry in live.documents or []:
        if entry.path is None or entry.meta is None:
            continue  # a file whose documents have no metadata yet is read again for it
        digest, ids = files.setdefault(entry.path, (entry.file, []))
        ids.append(entry.id)
        if digest != entry.file:  # its documents disagree: read it again
            files[entry.path] = (None, ids)
    return {path: KnownFile(digest, tuple(ids)) for path, (digest, ids) in files.items() if digest}


def _assemble(
    order: list[str],
    carried: set[str],
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
