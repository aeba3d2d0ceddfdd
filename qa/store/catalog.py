"""The documents of a version: each one's content hash and passage count, in passage order.

`ragqa index --update` compares these hashes with the corpus as it is now, so it embeds only the
documents that are new or changed and carries the others' passages, vectors and sentence vectors
over from the live version; a file whose bytes hash as its documents' `file` digest is not even
parsed again (an unchanged scan is not OCR'd twice).

Each entry also keeps its document's metadata (`qa.ingest.metadata`), which query filters match
(`qa.retrieval.filters`); a version written before metadata was kept has none (`meta` None).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from qa.store import jsonl

FILE = "documents.jsonl"


@dataclass(frozen=True)
class Entry:
    id: str
    hash: str  # qa.ingest.documents.content_hash
    passages: int
    file: str | None = None  # sha256 of its file's bytes (qa.ingest.documents.Document.digest); None: not kept
    path: str | None = None  # the file it was read from, relative to the corpus folder; None: not kept
    meta: dict[str, Any] | None = None  # its metadata (`qa.ingest.metadata.of`); None: written before it was kept

    def modified_at(self, modified: str | None) -> Entry:
        """This entry with its file's modification time as read now (its bytes, and all else, unchanged)."""
        if self.meta is None:
            return self
        meta = {k: v for k, v in self.meta.items() if k != "modified"}
        return replace(self, meta=meta if modified is None else {**meta, "modified": modified})


def save(entries: Sequence[Entry], folder: Path) -> None:
    # An entry without a file digest is written as older versions wrote it. Metadata in key order: an entry
    # whose modification time an update refreshed writes the same bytes as a rebuild's.
    jsonl.write(folder / FILE, (_record(e) for e in entries))


def _record(entry: Entry) -> dict[str, Any]:
    record = {k: v for k, v in asdict(entry).items() if v is not None}
    if entry.meta is not None:
        record["meta"] = dict(sorted(entry.meta.items()))
    return record


def load(data: bytes | None) -> list[Entry] | None:
    """The entries from the file's verified bytes; None for a version written before hashes were kept."""
    if data is None:
        return None
    return [Entry(**record) for record in jsonl.parse(data)]
