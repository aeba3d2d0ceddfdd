"""The documents of a version: each one's content hash and passage count, in passage order.

`ragqa index --update` compares these hashes with the corpus as it is now, so it embeds only the
documents that are new or changed and carries the others' passages, vectors and sentence vectors
over from the live version; a file whose bytes hash as its documents' `file` digest is not even
parsed again (an unchanged scan is not OCR'd twice).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from qa.store import jsonl

FILE = "documents.jsonl"


@dataclass(frozen=True)
class Entry:
    id: str
    hash: str  # qa.ingest.documents.content_hash
    passages: int
    file: str | None = None  # sha256 of its file's bytes (qa.ingest.documents.Document.digest); None: not kept
    path: str | None = None  # the file it was read from, relative to the corpus folder; None: not kept


def save(entries: Sequence[Entry], folder: Path) -> None:
    # An entry without a file digest is written as older versions wrote it.
    jsonl.write(folder / FILE, ({k: v for k, v in asdict(e).items() if v is not None} for e in entries))


def load(data: bytes | None) -> list[Entry] | None:
    """The entries from the file's verified bytes; None for a version written before hashes were kept."""
    if data is None:
        return None
    return [Entry(**record) for record in jsonl.parse(data)]
