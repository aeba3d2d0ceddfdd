"""JSON lines as an index version keeps them (records.jsonl, documents.jsonl): one object a line.

Lines end with b"\\n" and with nothing else. `str.splitlines()` would also split on U+2028,
U+2029, U+0085 and a few control characters, which JSON leaves raw inside strings when it is
written without ASCII escapes, so a passage holding one would not read back. JSON escapes every
b"\\n" inside a string, so one line is always one record.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def write(path: Path, records: Iterable[dict[str, Any]], key: str = "id") -> None:
    """Write one record a line, refusing a record that cannot be written as UTF-8 (a lone surrogate).

    Args:
        key: the field that names a record in the error (its position when it has none).
    """
    with open(path, "wb") as fh:
        for number, record in enumerate(records, start=1):
            fh.write(encode(record, key, number))


def encode(record: dict[str, Any], key: str = "id", number: int = 0) -> bytes:
    """One record as its line's bytes (newline included)."""
    line = json.dumps(record, ensure_ascii=False)
    try:
        return line.encode("utf-8") + b"\n"
    except UnicodeEncodeError as exc:
        # Escaping it (\\udxxx) would round-trip, but no document holds such text; it is a decoding
        # fault upstream, and the store would rather say so than keep it.
        name = record.get(key) if isinstance(record, dict) else None
        which = f"record {name!r}" if name is not None else f"record {number}"
        raise ValueError(
            f"{which} holds text that cannot be written as UTF-8 ({exc.reason}: {exc.object[exc.start : exc.end]!r}); "
            "fix or skip that document"
        ) from None


def parse(data: bytes) -> list[dict[str, Any]]:
    """The records of a file's (verified) bytes; raises ValueError naming the line that is not one."""
    records: list[dict[str, Any]] = []
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line.decode("utf-8"))
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError both are
            raise ValueError(f"line {number} is not a JSON record ({exc})") from None
        if not isinstance(record, dict):
            raise ValueError(f"line {number} is not a JSON object")
        records.append(record)
    return records
