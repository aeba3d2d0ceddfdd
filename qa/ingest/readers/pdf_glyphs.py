"""Glyphs and runs of text: what a PDF page draws, and text that keeps one box per character.

A run's text is what a block will say; its boxes say where each character is drawn (None for the
characters the reader puts in: a space joining two lines, a table's separators). Every step after
the page keeps the two in step, so an answer in a block can always be pointed at on the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from qa.ingest.documents import Box
from qa.ingest.readers.text import join_lines

# Four or more dots in a row (spaced or not) are a dot leader ("Total .......... $85"), not text.
_LEADER = re.compile(r" ?(?:[.·](?: ?[.·]){3,}|…(?: ?[.·…])+)[.·…]* ?")
FULL_WIDTH = "，。、；：！？（）《》“”‘’「」『』【】〔〕—…·"


class Glyph(NamedTuple):
    """One drawn character in page coordinates (points from the top-left)."""

    text: str  # usually one code point; a ligature or a folded radical may give more
    x0: float
    top: float
    x1: float
    bottom: float
    baseline: float  # from the page top: glyphs of mixed fonts on one line share it, their boxes need not
    size: float
    bold: bool

    @property
    def box(self) -> Box:
        return (self.x0, self.top, self.x1, self.bottom)


@dataclass
class Run:
    """Text with one box per code point (None where a character was inserted)."""

    text: str = ""
    boxes: list[Box | None] = field(default_factory=list)

    def add(self, text: str, box: Box | None) -> None:
        self.text += text
        self.boxes.extend([box] * len(text))

    def extend(self, other: Run) -> None:
        self.text += other.text
        self.boxes.extend(other.boxes)


def drop_leaders(run: Run) -> Run:
    """Dot leaders become one space: they tie a label to its figure on the page and only clutter the text."""
    if not _LEADER.search(run.text):
        return run
    out = Run()
    pos = 0
    for match in _LEADER.finditer(run.text):
        out.text += run.text[pos : match.start()]
        out.boxes.extend(run.boxes[pos : match.start()])
        if match.start() > 0 and match.end() < len(run.text):
            out.add(" ", None)
        pos = match.end()
    out.text += run.text[pos:]
    out.boxes.extend(run.boxes[pos:])
    return out


def join_runs(runs: list[Run]) -> Run:
    """Join a paragraph's lines as `text.join_lines` does (no space in Chinese, a line-end hyphen undone)."""
    out = Run()
    for run in runs:
        if not out.text:
            out.extend(run)
            continue
        left, right = out.text[-2:], run.text[:1]
        joined = len(join_lines([left, right]))
        if left[-1] in FULL_WIDTH or right in FULL_WIDTH:
            pass  # full-width punctuation is never spaced: "（基金号：" + "22BGL095）"
        elif joined > len(left) + len(right):
            out.add(" ", None)
        elif joined < len(left) + len(right):
            out.text, out.boxes = out.text[:-1], out.boxes[:-1]  # the hyphen of a word broken at the line end
        out.extend(run)
    return out
