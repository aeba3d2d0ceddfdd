"""Reading order and paragraphs of OCR'd text lines: columns left to right, rows top to bottom.

An OCR engine finds text lines as boxes in no useful order, and one row of text may come as several
pieces where a wide gap splits it. Here the pieces become a page's flows (a full-width stretch, or
one column of a stretch set in columns), each its rows top to bottom, and a flow's rows become
paragraphs. Coordinates are the caller's (image pixels): only their ratios to the text height matter.
"""

from __future__ import annotations

import bisect
import itertools
import statistics
import unicodedata
from dataclasses import dataclass

from qa.ingest.documents import Box
from qa.ingest.readers.text import join_lines

# Text heights of white, top to bottom of a stretch of rows, that make a column gutter: wider than any word space.
GUTTER = 1.0
# Of a line's height, trimmed off its top and bottom: pieces of one row still overlap in what is left,
# lines of adjacent rows (or of two columns whose rows do not line up) no longer do.
_CORE = 0.25
PARAGRAPH_GAP = 0.6  # text heights of extra space above a line, over the flow's usual gap: a new paragraph
INDENT = 0.8  # text heights right of the flow's left edge: a first-line indent (Chinese indents two characters)
SHORT_LINE = 2.0  # text heights short of the right edge (at least 15% of the width): the line ended its paragraph
_EDGE = 0.5  # text heights: lines that start (end) this close together share a margin


@dataclass(frozen=True)
class OcrLine:
    """A row of text as OCR read it, in image pixels from the top-left corner."""

    text: str
    box: Box
    boxes: tuple[Box | None, ...]  # one per code point of text; None for the space put between pieces of a row
    score: float = 1.0  # the engine's confidence, 0-1 (the lowest of a row's pieces)


@dataclass(frozen=True)
class OcrParagraph:
    """A paragraph's text with one box per code point (None for a space put in to join its lines)."""

    text: str
    boxes: tuple[Box | None, ...]


def reading_order(lines: list[OcrLine]) -> list[list[OcrLine]]:
    """The page's flows in reading order, each its rows top to bottom (a row's pieces joined by a space)."""
    if not lines:
        return []
    em = statistics.median(_height(line.box) for line in lines)
    return _flows(lines, em)


def paragraphs(rows: list[OcrLine]) -> list[OcrParagraph]:
    """One flow's rows joined into paragraphs: a wider gap, an indent or a short line before starts one.

    Lines join as `text.join_lines` joins them: Chinese without a space, English with one, a line-end
    hyphen undone; every character keeps its box.
    """
    if not rows:
        return []
    em = statistics.median(_height(row.box) for row in rows)
    left = _edge([row.box[0] for row in rows], em)
    right = -_edge([-row.box[2] for row in rows], em)
    short = max(SHORT_LINE * em, 0.15 * (right - left))
    gaps = [row.box[1] - prev.box[3] for prev, row in itertools.pairwise(rows)]
    usual = statistics.median(gaps) if gaps else 0.0
    groups: list[list[OcrLine]] = [[rows[0]]]
    for prev, row, gap in zip(rows, rows[1:], gaps):
        if gap > usual + PARAGRAPH_GAP * em or row.box[0] - left > INDENT * em or right - prev.box[2] > short:
            groups.append([])
        groups[-1].append(row)
    return [_joined(group) for group in groups]


def _flows(lines: list[OcrLine], em: float) -> list[list[OcrLine]]:
    flows: list[list[OcrLine]] = []
    stretch: list[OcrLine] = []  # rows of the full-width stretch being read
    for group in _groups(_slabs(lines), em):
        columns = _columns(group, em)
        if columns is None:
            stretch.extend(_row(slab) for slab in group)
            continue
        if stretch:
            flows.append(stretch)
            stretch = []
        for column in columns:
            flows.extend(_flows(column, em))  # a column may itself hold a stretch set in columns
    if stretch:
        flows.append(stretch)
    return flows


def _slabs(lines: list[OcrLine]) -> list[list[OcrLine]]:
    """Lines grouped into rows, top to bottom; a row's lines may lie in different columns."""
    slabs: list[list[OcrLine]] = []
    anchor: tuple[float, float] = (0.0, -1.0)
    for line in sorted(lines, key=lambda line: (line.box[1], line.box[0])):
        top, bottom = _core(line.box)
        # Measured against the row's first line, not its last: a chain of slightly lower lines
        # (two columns whose rows do not line up) must not become one row.
        if slabs and min(bottom, anchor[1]) > max(top, anchor[0]):
            slabs[-1].append(line)
        else:
            slabs.append([line])
            anchor = (top, bottom)
    return slabs


def _groups(slabs: list[list[OcrLine]], em: float) -> list[list[list[OcrLine]]]:
    """Consecutive rows that leave a gutter open between them; a row across every gutter ends a group."""
    groups: list[list[list[OcrLine]]] = []
    for slab in slabs:
        if groups and _gutters([line for row in groups[-1] for line in row] + slab, em):
            groups[-1].append(slab)
        else:
            groups.append([slab])
    return groups


def _columns(group: list[list[OcrLine]], em: float) -> list[list[OcrLine]] | None:
    """A group's lines split at its gutters, left to right; None when it is not set in columns.

    Two columns must each hold lines of two rows or more: a short last line beside the next
    paragraph's indented first line leaves a gap too, and reading that as columns would gain nothing.
    """
    gutters = _gutters([line for row in group for line in row], em)
    if not gutters:
        return None
    starts = [right for _, right in gutters]
    columns: list[list[OcrLine]] = [[] for _ in range(len(starts) + 1)]
    rows: list[set[int]] = [set() for _ in columns]
    for r, row in enumerate(group):
        for line in row:
            k = bisect.bisect_right(starts, line.box[0])
            columns[k].append(line)
            rows[k].add(r)
    if sum(len(seen) >= 2 for seen in rows) < 2:
        return None
    return columns


def _gutters(lines: list[OcrLine], em: float) -> list[tuple[float, float]]:
    """The vertical strips, at least GUTTER text heights wide, that no line crosses."""
    spans = sorted((line.box[0], line.box[2]) for line in lines)
    gutters = []
    reach = spans[0][1]
    for x0, x1 in spans[1:]:
        if x0 - reach >= GUTTER * em:
            gutters.append((reach, x0))
        reach = max(reach, x1)
    return gutters


def _row(pieces: list[OcrLine]) -> OcrLine:
    """One row's pieces as one line, left to right, a space between them."""
    pieces = sorted(pieces, key=lambda piece: piece.box[0])
    text = " ".join(piece.text for piece in pieces)
    boxes: list[Box | None] = []
    for piece in pieces:
        if boxes:
            boxes.append(None)
        boxes.extend(piece.boxes)
    x0 = min(p.box[0] for p in pieces)
    top = min(p.box[1] for p in pieces)
    x1 = max(p.box[2] for p in pieces)
    bottom = max(p.box[3] for p in pieces)
    return OcrLine(text, (x0, top, x1, bottom), tuple(boxes), min(p.score for p in pieces))


def _joined(rows: list[OcrLine]) -> OcrParagraph:
    text = ""
    boxes: list[Box | None] = []
    for row in rows:
        if text:
            left, right = text[-2:], row.text[:1]
            joined = len(join_lines([left, right]))
            if _full_width_punctuation(left[-1]) or _full_width_punctuation(right):
                pass  # never spaced: "（基金号：" + "22BGL095）"
            elif joined > len(left) + len(right):
                text += " "
                boxes.append(None)
            elif joined < len(left) + len(right):
                text, boxes = text[:-1], boxes[:-1]  # the hyphen of a word broken at the line end
        text += row.text
        boxes.extend(row.boxes)
    return OcrParagraph(text, tuple(boxes))


def _full_width_punctuation(char: str) -> bool:
    return unicodedata.category(char).startswith("P") and unicodedata.east_asian_width(char) in "WF"


def _edge(values: list[float], em: float) -> float:
    """Where most lines start (or end, for negated values): the margin indents are measured from.

    The most shared value, not the smallest: a marginal note, or a line set further left once, must
    not make every line of the body look indented. A tie goes to the smaller value.
    """
    reach = _EDGE * em
    return max(sorted(values), key=lambda v: sum(abs(w - v) <= reach for w in values))


def _core(box: Box) -> tuple[float, float]:
    trim = _CORE * _height(box)
    return box[1] + trim, box[3] - trim


def _height(box: Box) -> float:
    return max(box[3] - box[1], 1.0)
