"""The documents of a version: each one's content hash and passage count, in passage order.

`ragqa index --update` compares these hashes with the corpus as it is now, so it embeds only the
documents that are new or changed and carries the others' passages, vectors and sentence vectors
over from the live version.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

FILE = "documents.jsonl"


@dataclass(frozen=True)
class Entry:
    id: str
    hash: str  # qa.ingest.documents.content_hash
    passages: int


def save(entries: Sequence[Entry], folder: Path) -> None:
    with open(folder / FILE, "w", encoding="utf-8") as fh:
        for entry in entries:
            fh.write(json.dumps(asdict(entry), ensure_ascii=False) + "\n")


def load(data: bytes | None) -> list[Entry] | None:
    """The entries from the file's verified bytes; None for a version written before hashes were kept."""
    if data is None:
        return None
    return [Entry(**json.loads(line)) for line in data.decode("utf-8").splitlines() if line]
