"""Headings of a PDF from type alone: short paragraphs set larger, or bold where the body is not.

The body size is the size most of the document's text is set in. Heading sizes are ranked over
the whole document, largest first, as levels 1 and 2, and every smaller one 3; a bold heading at
body size ranks below every larger one. That gives the levels Markdown's # gives (1-3), which
`qa.ingest.layout` turns into article titles and sections.
"""

from __future__ import annotations

from collections import Counter

from qa.ingest.readers.pdf_order import Paragraph
from qa.ingest.readers.pdf_table_text import CAPTION

LARGER = 1.15  # times the body size: a heading's type
MAX_LINES = 3
MAX_CHARS = 120
_NOT_HEADING_END = "。；;，,、."


def heading_levels(paragraphs: list[Paragraph]) -> list[int]:
    """A level (1-3) for each paragraph that is a heading, 0 for the others."""
    text = [p for p in paragraphs if not p.table]
    if not text:
        return [0] * len(paragraphs)
    sizes = Counter[float]()
    bold_chars = 0
    for p in text:
        sizes[round(p.size * 2) / 2] += len(p.run.text)
        bold_chars += len(p.run.text) if p.bold else 0
    body = sizes.most_common(1)[0][0]
    body_bold = bold_chars * 2 > sum(sizes.values())
    candidates = [_kind(p, body, body_bold) for p in paragraphs]
    larger = sorted({round(p.size * 2) / 2 for p, kind in zip(paragraphs, candidates) if kind == "large"}, reverse=True)
    rank = {size: min(n + 1, 3) for n, size in enumerate(larger)}
    bold_level = min(len(larger) + 1, 3)
    return [
        rank[round(p.size * 2) / 2] if kind == "large" else bold_level if kind == "bold" else 0
        for p, kind in zip(paragraphs, candidates)
    ]


def _kind(p: Paragraph, body: float, body_bold: bool) -> str:
    text = p.run.text.strip()
    if p.table or p.lines > MAX_LINES or len(text) > MAX_CHARS or not any(ch.isalpha() for ch in text):
        return ""
    if text[-1] in _NOT_HEADING_END or CAPTION.match(text):
        return ""  # a sentence, a list item or a table's caption, whatever its type
    if p.size >= LARGER * body:
        return "large"
    if p.bold and not body_bold and p.size >= 0.95 * body:
        return "bold"
    return ""
