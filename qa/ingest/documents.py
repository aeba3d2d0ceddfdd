"""Documents as the corpus readers produce them: titled lists of blocks with source offsets and anchors.

Every reader (`qa.ingest.readers`) turns its format into these, and everything after it (layout,
passages, the index, highlighting) knows only them, never the format. A block lies on one page of
a paged source (a PDF page, a slide, a sheet): a paragraph that a page break cuts is two blocks,
so every passage, and every answer in it, is on one page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# A metadata value a filter can compare: what a JSON scalar holds.
Scalar = str | int | float | bool

# A rectangle on a page in PDF points (1/72 inch), from the page's top-left corner: x0, top, x1, bottom.
Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class Block:
    """A paragraph-like run of text; `start`/`end` are code-point offsets into the source text.

    The source text is the file as read for text formats, the record's text for JSONL, and the text a
    reader extracted (its blocks joined by blank lines) for PDF and Office files.
    """

    text: str
    start: int
    end: int
    heading: int = (
        0  # 1-6 when the source marks it as a heading (Markdown #, HTML <h1>, a PDF's large bold line); else 0
    )
    page: int | None = None  # 1-based PDF page, slide or sheet the block is on; None where the source has no pages
    # One box per code point of `text` (None for a character with no place on the page, such as a space
    # joining two lines), for PDFs and scans; None where the source has no geometry.
    boxes: tuple[Box | None, ...] | None = field(default=None, compare=False, repr=False)


@dataclass
class Document:
    id: str
    path: str  # relative to the corpus root
    title: str
    blocks: list[Block]
    kind: str = (
        "text"  # the reader's name (text, markdown, html, jsonl, pdf, docx, ...) | dataset (evaluation contexts)
    )
    line: int | None = None  # line number of a JSONL record
    # sha256 of the bytes of the file it was read from (set by `qa.ingest.corpus.read_corpus`): an update
    # finds a file unchanged by it and carries its documents over without parsing it again.
    digest: str | None = field(default=None, compare=False)
    # Facts about the document that its passages do not depend on, so `content_hash` leaves them out: fields
    # its source gives beside the text (a JSONL record's other keys), its file's modified time and page
    # count (set by `read_corpus`). `qa.ingest.metadata` turns them into what filters match.
    fields: dict[str, Scalar] = field(default_factory=dict, compare=False)
    modified: str | None = field(default=None, compare=False)
    pages: int | None = field(default=None, compare=False)


def content_hash(doc: Document) -> str:
    """What a document's passages depend on, hashed: an update re-embeds a document only when this changes.

    It covers everything `split_passages` reads (id, path, title, kind, line, every block and its boxes), so two
    documents with one hash split into the same passages; a JSONL file with one edited record changes
    that record's hash only.
    """
    import hashlib
    import json

    blocks = [[b.text, b.start, b.end, b.heading, *([b.page] if b.page is not None else [])] for b in doc.blocks]
    payload: list[object] = [doc.id, doc.path, doc.title, doc.kind, doc.line, blocks]
    drawn = [b.boxes for b in doc.blocks if b.boxes is not None]
    if drawn:
        # Where the characters are drawn too: a PDF laid out anew with the same text re-indexes its boxes.
        payload.append(hashlib.sha256(repr(drawn).encode("ascii")).hexdigest())
    return hashlib.sha256(json.dumps(payload, ensure_ascii=False).encode("utf-8")).hexdigest()
