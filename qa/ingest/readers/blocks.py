"""The source text an Office or table reader extracts, built block by block.

Formats without a text of their own (DOCX, PPTX, XLSX, CSV) get one: their blocks' texts joined by
blank lines, in reading order. Each block's `start`/`end` are offsets into that joined text, so
`source[block.start:block.end] == block.text` holds as it does for the text formats.
"""

from __future__ import annotations

import re

from qa.ingest.documents import Block
from qa.ingest.readers.text import join_lines

SEPARATOR = "\n\n"

_SPACES = re.compile(r"[ \t\xa0\u2000-\u200a\u202f\u205f\u3000]+")
# Word pads short CJK headings with wide spaces (目　　次, 前　　言): typography, not words.
_WIDE_SPACED_CJK = re.compile(r"(?<=[\u3400-\u9fff])[\u2002\u2003\u3000]+(?=[\u3400-\u9fff])")


class BlockList:
    """Blocks in reading order with offsets into their joined text (`source()`)."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self._next = 0  # where the next block's text starts in the joined text

    def add(self, text: str, heading: int = 0, page: int | None = None) -> None:
        """Append a block; an empty text adds nothing."""
        if not text:
            return
        start = self._next
        self.blocks.append(Block(text, start, start + len(text), heading=heading, page=page))
        self._next = start + len(text) + len(SEPARATOR)

    def source(self) -> str:
        """The text the offsets point into (built on demand: readers keep only the blocks)."""
        return SEPARATOR.join(b.text for b in self.blocks)


def tidy(text: str, heading: bool = False) -> str:
    """One block's text from an Office run of text: spaces collapsed, its line breaks joined as wrapped lines.

    Args:
        heading: also drop the wide spaces that pad CJK headings (目　　次 -> 目次).
    """
    if heading:
        text = _WIDE_SPACED_CJK.sub("", text)
    text = text.replace("\u200b", "").replace("\r", "\n").replace("\v", "\n")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return join_lines([line for line in lines if line])
