"""Read a corpus folder into documents made of blocks with source offsets.

`qa.ingest.folder` finds the files (no links followed, nothing over the size limit for one file:
RAGQA_MAX_FILE_MB, default 20 MB, about seven million Chinese characters and a quarter of an hour
of embedding on two cores); `qa.ingest.readers` picks each file's reader by content and name
(text, Markdown, HTML, JSONL, ...). A file that cannot be read is reported with the reason and
skipped, and so is a part of one (a JSONL line, a page over its time limit); the others are read.
Fields the folder gives its files (`qa.ingest.folder.read_fields`) are added to their documents.
Every file is also kept as a `FileRead`, what it gave or why it was skipped, for the build's report.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from embeddings.progress import bar
from qa.errors import CorpusError
from qa.ingest import metadata
from qa.ingest.documents import Document
from qa.ingest.folder import FIELDS, list_files, read_fields, read_file
from qa.ingest.parsing import Job, Parsed, parsers
from qa.ingest.readers import Skip

if TYPE_CHECKING:
    from qa.config import Settings

log = logging.getLogger(__name__)

# Seconds before the reading bar shows: a corpus of a few text files reads sooner and prints nothing.
BAR_DELAY = 2.0


@dataclass
class FileRead:
    """One file of the corpus as reading left it: what it gave, or why it was skipped whole."""

    path: str  # relative to the corpus folder, posix
    kind: str | None = None  # the reader that took it ("pdf", "docx"); None when none did
    pages: int = 0  # PDF pages, image frames, slides or sheets; 0 for formats without pages
    documents: list[str] = field(default_factory=list)  # the ids of its documents
    seconds: float = 0.0
    skipped: str | None = None
    problems: list[tuple[str, str]] = field(default_factory=list)  # parts not read: (where, why)
    unchanged: bool = False  # its bytes are as an update's live version read them: its documents carried, not parsed
    modified: str | None = None  # its modification time (`qa.ingest.metadata.modified`); None where not read


@dataclass(frozen=True)
class KnownFile:
    """A file as the live version read it: its bytes' sha256 and the ids of its documents, in order."""

    digest: str
    documents: tuple[str, ...]


@dataclass
class CorpusReport:
    documents: list[Document] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "path: why", for the user
    checksum: str = ""
    files: list[FileRead] = field(default_factory=list)  # every file found, in order
    limits: dict[str, float] = field(default_factory=dict)  # the size and time limits it was read with

    @property
    def order(self) -> list[str]:
        """Every document's id in corpus order, read now or carried over unchanged (`FileRead.unchanged`)."""
        return [doc for f in self.files if f.skipped is None for doc in f.documents]

    def require_documents(self, root: str | Path) -> None:
        """Refuse a corpus with nothing to index, saying why, before anything is written."""
        if any(doc.blocks for doc in self.documents) or any(f.unchanged and f.documents for f in self.files):
            return
        why = f"; {len(self.skipped)} skipped, first: {self.skipped[0]}" if self.skipped else ""
        raise CorpusError(f"no documents with text to index in {root}{why}; add documents, then run again")


def read_corpus(
    root: str | Path,
    max_file_bytes: int | None = None,
    workers: int | None = None,
    progress: bool = False,
    page_seconds: float | None = None,
    known: Mapping[str, KnownFile] | None = None,
) -> CorpusReport:
    """Read every supported file under root (recursively, in a stable order; `qa.ingest.folder` says
    which files are found and how links are treated).

    Args:
        max_file_bytes: files larger than this are skipped with the reason; None: RAGQA_MAX_FILE_MB
            (`qa.config.Settings.max_file_mb`).
        workers: processes that parse PDF and Office files (`qa.ingest.parsing`); None: one per core.
        progress: show files and pages read per second (a bar on a terminal, a line every 30 s in a log).
        page_seconds: the most one page may take, else it is skipped; None: RAGQA_PAGE_SECONDS
            (`qa.config.Settings.page_seconds`).
        known: files as an update's live version read them, by path: one whose bytes still hash the
            same is not parsed again; its documents are listed (`FileRead.unchanged`) for the caller
            to carry over.
    """
    root = Path(root)
    report = CorpusReport()
    if not root.is_dir():
        raise CorpusError(f"corpus folder not found: {root}")
    max_file_bytes, page_seconds = _file_limit(max_file_bytes), _page_limit(page_seconds)
    report.limits = {"file_bytes": max_file_bytes, "page_seconds": page_seconds}
    listing = list_files(root)
    given, given_raw = _given_fields(root, report)
    for rel, why in listing.skipped:
        _skip(report, rel, why)
        report.files.append(FileRead(rel, skipped=why))
    digest = hashlib.sha256()
    seen_ids: set[str] = set()
    pages = 0

    def collect(rel: str, parsed: Parsed, file_digest: str | None = None, changed: str | None = None) -> None:
        nonlocal pages
        for where, why in parsed.problems:
            _skip(report, where, why)
        if parsed.skipped is not None:
            _skip(report, rel, parsed.skipped)
        for doc in parsed.documents:
            if doc.id in seen_ids:
                doc.id = f"{rel}:{doc.id}"  # two JSONL files may both number their records from 1
            seen_ids.add(doc.id)
            doc.digest, doc.modified, doc.pages = file_digest, changed, parsed.pages or None
            doc.fields = {**given.get(rel, {}), **doc.fields}  # a record's own field is the more specific
            report.documents.append(doc)
        ids = [doc.id for doc in parsed.documents]
        report.files.append(
            FileRead(
                rel, parsed.kind, parsed.pages, ids, parsed.seconds, parsed.skipped, parsed.problems, modified=changed
            )
        )
        pages += parsed.pages
        _show_pages(shown, pages)
        shown.update(1)

    pending: deque[Job] = deque()
    digests: dict[str, str] = {}  # of the files being parsed
    times: dict[str, str | None] = {}  # their modification times
    with (
        parsers(workers, page_seconds) as parse,
        bar(len(listing.files), progress, "reading", "file", delay=BAR_DELAY) as shown,
    ):
        for rel in listing.files:
            try:
                raw = read_file(root, rel, max_file_bytes)
            except Skip as exc:
                collect(rel, Parsed(skipped=str(exc)))
                continue
            # Every file read counts, parsed or not: converting a skipped file to a readable one is a change.
            digest.update(rel.encode() + b"\0" + raw + b"\0")
            file_digest = hashlib.sha256(raw).hexdigest()
            changed = _modified(root, rel)
            same = (known or {}).get(rel)
            if same is not None and same.digest == file_digest:
                seen_ids.update(same.documents)
                report.files.append(FileRead(rel, documents=list(same.documents), unchanged=True, modified=changed))
                shown.update(1)
                continue
            digests[rel], times[rel] = file_digest, changed
            pending.append(parse.submit(rel, raw))
            while len(pending) > parse.ahead or (pending and pending[0].done()):
                job = pending.popleft()
                collect(job.rel, parse.result(job), digests[job.rel], times[job.rel])
        while pending:
            job = pending.popleft()
            collect(job.rel, parse.result(job), digests[job.rel], times[job.rel])
    report.files.sort(key=lambda f: PurePosixPath(f.path))
    _add_fields(digest, given_raw)
    report.checksum = digest.hexdigest()
    return report


def corpus_checksum(root: str | Path, max_file_bytes: int | None = None) -> str:
    """The checksum `read_corpus` gives, from the files' bytes alone (nothing parsed): whether a corpus
    changed since an index was built, cheaply, also for a folder of large PDFs."""
    limit = _file_limit(max_file_bytes)
    digest = hashlib.sha256()
    for rel in list_files(Path(root)).files:
        try:
            digest.update(rel.encode() + b"\0" + read_file(Path(root), rel, limit) + b"\0")
        except Skip:
            continue
    _add_fields(digest, _given_fields(Path(root), CorpusReport())[1])
    return digest.hexdigest()


def _given_fields(root: Path, report: CorpusReport) -> tuple[dict[str, dict[str, Any]], bytes]:
    """The folder's fields file (`qa.ingest.folder.read_fields`); one that cannot be used is reported, not fatal."""
    try:
        return read_fields(root)
    except Skip as exc:
        _skip(report, FIELDS, str(exc))
        return {}, b""


def _add_fields(digest: Any, raw: bytes) -> None:
    # Fields are part of what an index was built from (filters match them); a folder without them
    # keeps the checksum it always had.
    if raw:
        digest.update(FIELDS.encode() + b"\0" + raw + b"\0")


def _modified(root: Path, rel: str) -> str | None:
    """A file's modification time for its documents' metadata; None when it cannot be read (it was just read)."""
    try:
        return metadata.modified(os.stat(root / rel, follow_symlinks=False).st_mtime)
    except OSError:
        return None


def _file_limit(max_file_bytes: int | None) -> int:
    return max_file_bytes if max_file_bytes is not None else _settings().max_file_bytes


def _page_limit(page_seconds: float | None) -> float:
    return page_seconds if page_seconds is not None else _settings().page_seconds


def _settings() -> Settings:
    from qa.config import Settings

    return Settings.from_env()


def _show_pages(shown: Any, pages: int) -> None:
    """Pages per second beside the bar's files per second, once a file with pages has been read."""
    elapsed = shown.format_dict.get("elapsed") or 0.0
    if pages and elapsed:
        # Not refreshed here: the bar redraws on its own schedule (at most a line per 30 s in a log).
        shown.set_postfix_str(f"{pages} pages, {pages / elapsed:.1f} pages/s", refresh=False)


def _skip(report: CorpusReport, rel: str, why: str) -> None:
    log.warning("skipping %s: %s", rel, why)
    report.skipped.append(f"{rel}: {why}")
