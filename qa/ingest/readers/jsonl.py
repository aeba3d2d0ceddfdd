"""JSON lines: one `{"id", "title", "text"}` object a line, each a document; a bad line is reported and skipped.

A record's other keys with a string, number or boolean value are the document's own metadata fields
(`Document.fields`), which filters match; other values (lists, objects, null) are not kept.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

from qa.ingest.documents import Document, Scalar
from qa.ingest.readers.reader import Problems
from qa.ingest.readers.text import decode, text_blocks
from qa.text.script import is_unicode


class JsonlReader:
    name = "jsonl"
    suffixes = frozenset({".jsonl"})
    binary = False

    def sniff(self, data: bytes) -> bool:
        return False

    def read(self, rel: str, data: bytes, problems: Problems) -> list[Document]:
        return list(_documents(rel, decode(data), problems))


def _documents(rel: str, source: str, problems: Problems) -> Iterable[Document]:
    for number, line in enumerate(source.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            text = record["text"]
            if not isinstance(record, dict) or not isinstance(text, str):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            problems(f"{rel}:{number}", 'not a JSON object with a "text" string')
            continue
        doc_id = str(record.get("id") or f"{rel}:{number}")
        title = str(record.get("title") or doc_id)
        if not all(is_unicode(value) for value in (doc_id, title, text)):
            # JSON can escape half of a surrogate pair ("\\ud800"), which no UTF-8 file can hold: refused
            # here, at the door, so the index never has to write text it could not read back.
            problems(f"{rel}:{number}", 'holds a lone surrogate escape (like "\\ud800"), which is not text')
            continue
        text = text.replace("\r\n", "\n").replace("\r", "\n")  # offsets are into the record text as read
        doc = Document(doc_id, rel, title, text_blocks(text), kind="jsonl", line=number)
        doc.fields = _fields(record)
        yield doc


def _fields(record: dict[str, Any]) -> dict[str, Scalar]:
    """The record's keys beside id, title and text that hold one JSON scalar of text (never a lone surrogate)."""
    kept: dict[str, Scalar] = {}
    for key, value in record.items():
        if key in ("id", "title", "text") or not is_unicode(key) or value is None:
            continue
        if (isinstance(value, str) and not is_unicode(value)) or (
            isinstance(value, float) and not math.isfinite(value)
        ):
            continue  # neither could be written back: a lone surrogate, or NaN (which JSON itself lacks)
        if isinstance(value, (str, int, float, bool)):
            kept[key] = value
    return kept
