"""Read a corpus folder into documents made of blocks with source offsets.

`qa.ingest.folder` finds the files (no links followed, nothing over the size limit for one file:
RAGQA_MAX_FILE_MB, default 20 MB, about seven million Chinese characters and a quarter of an hour
of embedding on two cores); `qa.ingest.readers` picks each file's reader by content and name
(text, Markdown, HTML, JSONL, ...). A file that cannot be read is reported with the reason and
skipped, and so is a part of one (a JSONL line); the others are read.
"""

from __future__ import annotations

import hashlib
import logging
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path

from embeddings.progress import bar
from qa.errors import CorpusError
from qa.ingest.documents import Document
from qa.ingest.folder import list_files, read_file
from qa.ingest.parsing import Parsed, parsers, result
from qa.ingest.readers import Skip

log = logging.getLogger(__name__)


@dataclass
class CorpusReport:
    documents: list[Document] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "path: why", for the user
    checksum: str = ""

    def require_documents(self, root: str | Path) -> None:
        """Refuse a corpus with nothing to index, saying why, before anything is written."""
        if any(doc.blocks for doc in self.documents):
            return
        why = f"; {len(self.skipped)} skipped, first: {self.skipped[0]}" if self.skipped else ""
        raise CorpusError(f"no documents with text to index in {root}{why}; add documents, then run again")


def read_corpus(
    root: str | Path, max_file_bytes: int | None = None, workers: int | None = None, progress: bool = False
) -> CorpusReport:
    """Read every supported file under root (recursively, in a stable order; `qa.ingest.folder` says
    which files are found and how links are treated).

    Args:
        max_file_bytes: files larger than this are skipped with the reason; None: RAGQA_MAX_FILE_MB
            (`qa.config.Settings.max_file_mb`).
        workers: processes that parse PDF and Office files (`qa.ingest.parsing`); None: one per core.
        progress: show files read per second (a bar on a terminal, lines in a log).
    """
    root = Path(root)
    report = CorpusReport()
    if not root.is_dir():
        raise CorpusError(f"corpus folder not found: {root}")
    max_file_bytes = _file_limit(max_file_bytes)
    listing = list_files(root)
    for rel, why in listing.skipped:
        _skip(report, rel, why)
    digest = hashlib.sha256()
    seen_ids: set[str] = set()

    def collect(rel: str, parsed: Parsed) -> None:
        for where, why in parsed.problems:
            _skip(report, where, why)
        if parsed.skipped is not None:
            _skip(report, rel, parsed.skipped)
        for doc in parsed.documents:
            if doc.id in seen_ids:
                doc.id = f"{rel}:{doc.id}"  # two JSONL files may both number their records from 1
            seen_ids.add(doc.id)
            report.documents.append(doc)

    pending: deque[tuple[str, Future[Parsed]]] = deque()
    with parsers(workers) as parse, bar(len(listing.files), progress, "reading", "file", delay=2) as shown:
        for rel in listing.files:
            try:
                raw = read_file(root, rel, max_file_bytes)
            except Skip as exc:
                _skip(report, rel, str(exc))
                shown.update(1)
                continue
            # Every file read counts, parsed or not: converting a skipped file to a readable one is a change.
            digest.update(rel.encode() + b"\0" + raw + b"\0")
            pending.append((rel, parse.submit(rel, raw)))
            while len(pending) > parse.ahead or (pending and pending[0][1].done()):
                done_rel, future = pending.popleft()
                collect(done_rel, result(future))
                shown.update(1)
        while pending:
            done_rel, future = pending.popleft()
            collect(done_rel, result(future))
            shown.update(1)
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
    return digest.hexdigest()


def _file_limit(max_file_bytes: int | None) -> int:
    if max_file_bytes is not None:
        return max_file_bytes
    from qa.config import Settings

    return Settings.from_env().max_file_bytes


def _skip(report: CorpusReport, rel: str, why: str) -> None:
    log.warning("skipping %s: %s", rel, why)
    report.skipped.append(f"{rel}: {why}")
