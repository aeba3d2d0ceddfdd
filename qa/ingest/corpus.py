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
from dataclasses import dataclass, field
from pathlib import Path

from qa.errors import CorpusError
from qa.ingest import readers
from qa.ingest.documents import Document
from qa.ingest.folder import list_files, read_file
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


def read_corpus(root: str | Path, max_file_bytes: int | None = None) -> CorpusReport:
    """Read every supported file under root (recursively, in a stable order; `qa.ingest.folder` says
    which files are found and how links are treated).

    Args:
        max_file_bytes: files larger than this are skipped with the reason; None: RAGQA_MAX_FILE_MB
            (`qa.config.Settings.max_file_mb`).
    """
    root = Path(root)
    report = CorpusReport()
    if not root.is_dir():
        raise CorpusError(f"corpus folder not found: {root}")
    if max_file_bytes is None:
        from qa.config import Settings

        max_file_bytes = Settings.from_env().max_file_bytes
    listing = list_files(root)
    for rel, why in listing.skipped:
        _skip(report, rel, why)
    digest = hashlib.sha256()
    seen_ids: set[str] = set()
    for rel in listing.files:
        try:
            raw = read_file(root, rel, max_file_bytes)
            found = readers.choose(rel, raw).read(rel, raw, lambda where, why: _skip(report, where, why))
        except Skip as exc:
            _skip(report, rel, str(exc))
            continue
        digest.update(rel.encode() + b"\0" + raw + b"\0")
        for doc in found:
            if doc.id in seen_ids:
                doc.id = f"{rel}:{doc.id}"  # two JSONL files may both number their records from 1
            seen_ids.add(doc.id)
            report.documents.append(doc)
    report.checksum = digest.hexdigest()
    return report


def _skip(report: CorpusReport, rel: str, why: str) -> None:
    log.warning("skipping %s: %s", rel, why)
    report.skipped.append(f"{rel}: {why}")
