"""Documents as the corpus reader produces them: titled lists of blocks with source offsets."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Block:
    """A paragraph-like run of text; `start`/`end` are code-point offsets into the source text."""

    text: str
    start: int
    end: int
    heading: int = 0  # 1-6 when the source marks it as a heading (Markdown #, HTML <h1>); else 0


@dataclass
class Document:
    id: str
    path: str  # relative to the corpus root
    title: str
    blocks: list[Block]
    kind: str = "text"  # text | markdown | html | jsonl | dataset (evaluation contexts, used as they are)
    line: int | None = None  # line number of a JSONL record


def content_hash(doc: Document) -> str:
    """What a document's passages depend on, hashed: an update re-embeds a document only when this changes.

    It covers everything `split_passages` reads (id, path, title, kind, line, every block), so two
    documents with one hash split into the same passages; a JSONL file with one edited record changes
    that record's hash only.
    """
    import hashlib
    import json

    blocks = [[b.text, b.start, b.end, b.heading] for b in doc.blocks]
    payload = [doc.id, doc.path, doc.title, doc.kind, doc.line, blocks]
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode("utf-8")).hexdigest()
