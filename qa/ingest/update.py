"""Update an index to its corpus without a full rebuild: embed only new or changed documents.

Each version lists its documents' content hashes (`qa.store.catalog`). An update compares them with
the corpus as it is now; an unchanged document keeps its passages, vectors and sentence vectors
from the live version, a new or changed one is split and embedded, a deleted one is left out. BM25
is rebuilt over every passage (its IDF depends on all of them, and it costs seconds, not the
minutes embedding does). Passages come out in the corpus's order, as a full build would put
them, so the new version holds what a rebuild would; it is published like a build (a new
version, then the pointer switch), and a failed update leaves the live version untouched.
It goes through the same write path as a full build (`qa.ingest.indexer.write_version`, then
`qa.store.publish`) with the live version as its base: in Milvus the carried-over rows stay where
they are and only the new ones are inserted (`qa.store.milvus_store`); in FAISS the flat index is
rebuilt from the carried-over and new vectors (`qa.store.faiss_store`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from embeddings.encoder import Encoder
from qa.errors import RagqaError
from qa.ingest import metadata
from qa.ingest.changes import Changes, compare
from qa.ingest.corpus import CorpusReport, KnownFile, read_corpus
from qa.ingest.documents import content_hash
from qa.ingest.indexer import Base, BuildSettings, Embed, corpus_source, write_version
from qa.ingest.ingest_report import ingest_report, write_report
from qa.ingest.passages import MAX_CHARS
from qa.ingest.readers.fingerprint import fingerprint
from qa.store import catalog, read_files, sentences, versions
from qa.store.backend import BackendSettings
from qa.store.index import StoredIndex, open_index
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
    settings = BuildSettings(max_chars, keep, backend or BackendSettings(), embed, sentence_vectors, bars)
    settings.check()
    say = progress or (lambda _line: None)
    # Locked before reading: which files need no parsing is decided against the live version, which
    # must not change before the update publishes over it.
    with versions.build_lock(index_dir):
        live, listed, reason = _reusable(Path(index_dir), encoder, settings)
        corpus = read_corpus(corpus_dir, progress=bars, known=_known_files(live))
        # An empty or all-skipped corpus is refused, not published as an index of nothing over the live one.
        corpus.require_documents(corpus_dir)
        source = corpus_source(corpus_dir, corpus)
        report = _update_locked(corpus, source, Path(index_dir), (live, listed, reason), encoder, settings, say)
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
    settings: BuildSettings,
    say: Progress,
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
    base = None
    if live is not None:
        unparsed = {i: before[i].modified_at(modified.get(i)) for i in order if i not in parsed}
        base = Base(live, frozenset(changes.unchanged), unparsed)
    written = write_version(corpus.documents, order, source, index_dir, encoder, settings, base, say)
    return UpdateReport(
        index_dir,
        changes,
        written.passages,
        written.embedded,
        0.0,
        written.version.name,
        full_reason=reason,
        passages_by_document={entry.id: entry.passages for entry in written.entries},
    )


def _reusable(
    index_dir: Path, encoder: Encoder, settings: BuildSettings
) -> tuple[StoredIndex | None, list[catalog.Entry] | None, str | None]:
    """The live version when its passages and vectors can be carried over (else None and why not),
    and its documents (for the summary, even when nothing can be carried over)."""
    try:
        live = open_index(read_files(index_dir), milvus_uri=settings.backend.live_uri)
    except RagqaError as exc:  # none yet, unreadable, or its engine out of reach: a full build says why
        return None, None, f"no usable live version ({exc.message})"
    why = _why_not(live, encoder, settings, index_dir)
    return (None if why else live), live.documents, why


def _why_not(live: StoredIndex, encoder: Encoder, settings: BuildSettings, root: Path) -> str | None:
    # Whether its vectors fit is the spec's to say; the sentence-vector mode is not asked about (new
    # sentences are made as the live version's were).
    wanted = IndexSpec.of(encoder, settings.chunking(), backend=settings.backend, root=root)
    if (reason := wanted.mismatch(IndexSpec.from_manifest(live.manifest))) is not None:
        return reason
    if live.documents is None or (live.records and not live.sentence_vectors):
        return "the live version has no document hashes (built by an older ragqa)"
    if sum(e.passages for e in live.documents) != len(live.records):
        return "the live version's document list does not match its passages"
    return live.store.carries() if live.store is not None else "the live version was opened without its store"


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
