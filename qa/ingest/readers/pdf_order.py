"""Reading order of a PDF page: lines gathered into column chunks, chunks ordered, chunks cut into paragraphs.

A chunk is lines stacked closely within one column, so it never crosses a gutter. Chunks are
ordered as Breuel (2003) orders text lines: a before b when they share columns and a is above, or
when a lies wholly left of b and nothing between them in height spans both (a title over two
columns, a figure across the page). A two-column page is so read column by column, and a
full-width heading still comes before the columns under it.
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter
from dataclasses import dataclass

from qa.ingest.documents import Box
from qa.ingest.readers.pdf_glyphs import Run, join_runs
from qa.ingest.readers.pdf_lines import Line
from qa.text import is_cjk

_CHUNK_GAP = 1.2  # ems of leading beyond the type size between two lines of one chunk
_REACH = 3.0  # ems a line may stick out of its chunk (an indent, a hanging number) and still belong to it
_INDENT = 0.8  # ems in from the chunk's left edge: a first-line indent
_MAX_SPANNER_CHECK = 150  # chunks on a page


@dataclass
class Paragraph:
    run: Run
    box: Box
    size: float
    bold: bool
    lines: int
    table: bool = False


def page_paragraphs(lines: list[Line], tables: list[tuple[Box, list[Run]]]) -> list[Paragraph]:
    """The page's paragraphs and table rows in reading order."""
    chunks = _chunks(lines)
    boxes = [_union([ln.box for ln in chunk]) for chunk in chunks] + [box for box, _ in tables]
    out: list[Paragraph] = []
    for k in _order(boxes):
        if k < len(chunks):
            out.extend(_paragraphs(chunks[k]))
        else:
            box, rows = tables[k - len(chunks)]
            out.extend(Paragraph(row, box, 0.0, False, 1, table=True) for row in rows)
    return out


def _leading(lines: list[Line]) -> dict[int, float]:
    """The usual distance between baselines for each type size: double-spaced text is still one chunk."""
    deltas: dict[int, Counter[float]] = {}
    ordered = sorted(lines, key=lambda ln: ln.baseline)
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 : i + 40]:
            if (
                b.baseline - a.baseline > 0.5 * a.size
                and abs(b.size - a.size) <= 0.12 * a.size
                and b.x1 > a.x0
                and b.x0 < a.x1
            ):
                deltas.setdefault(round(a.size), Counter())[round(b.baseline - a.baseline)] += 1
                break
    return {size: counts.most_common(1)[0][0] for size, counts in deltas.items()}


def _chunks(lines: list[Line]) -> list[list[Line]]:
    leading = _leading(lines)
    chunks: list[list[Line]] = []
    bounds: list[list[float]] = []  # x0, x1 of each chunk
    for line in sorted(lines, key=lambda ln: (ln.top, ln.x0)):
        best, best_gap = -1, 0.0
        for k, chunk in enumerate(chunks):
            last = chunk[-1]
            size = max(line.size, last.size)
            # Measured between baselines: a font's box may hang well below its baseline (digits in a CJK text).
            step = line.baseline - last.baseline
            if not 0.5 * size <= step <= max((1 + _CHUNK_GAP) * size, 1.3 * leading.get(round(size), 0.0)):
                continue
            if not _same_type(line, last):
                continue  # a heading is a chunk of its own
            x0, x1 = bounds[k]
            reach = _REACH * size
            # Lines of a column share its left edge (an indent aside), or its right one, or lie within it.
            if (
                line.x1 <= x0
                or line.x0 >= x1
                or not (abs(line.x0 - x0) <= reach or abs(line.x1 - x1) <= reach or x0 <= line.x0 <= line.x1 <= x1)
            ):
                continue
            if best < 0 or step < best_gap:
                best, best_gap = k, step
        if best < 0:
            chunks.append([line])
            bounds.append([line.x0, line.x1])
        else:
            chunks[best].append(line)
            bounds[best] = [min(bounds[best][0], line.x0), max(bounds[best][1], line.x1)]
    return chunks


def _same_type(line: Line, last: Line) -> bool:
    if line.mixed or last.mixed:  # a run-in bold head ("DATES: The FAA must"): the text goes on in the body type
        (size, bold), (next_size, next_bold) = last.tail, line.head
        return abs(size - next_size) <= 0.12 * max(size, next_size) and bold == next_bold
    return abs(line.size - last.size) <= 0.12 * max(line.size, last.size) and line.bold == last.bold


def _order(boxes: list[Box]) -> list[int]:
    n = len(boxes)
    mid = [(b[1] + b[3]) / 2 for b in boxes]
    after: list[list[int]] = [[] for _ in range(n)]
    waiting = [0] * n
    # The test for a box spanning two others is cubic; a page of hundreds of scattered labels (a map, a chart)
    # has no columns to keep apart, so there left-of alone orders it.
    spanners = boxes if n <= _MAX_SPANNER_CHECK else []
    for a in range(n):
        for b in range(n):
            if a != b and _before(boxes, spanners, mid, a, b):
                after[a].append(b)
                waiting[b] += 1
    ready = [(boxes[k][1], boxes[k][0], k) for k in range(n) if waiting[k] == 0]
    heapq.heapify(ready)
    done = [False] * n
    out: list[int] = []
    while len(out) < n:
        if not ready:  # a cycle (overlapping boxes): go on with the topmost left
            k = min((k for k in range(n) if not done[k]), key=lambda k: (boxes[k][1], boxes[k][0]))
            waiting[k] = 0
            ready.append((boxes[k][1], boxes[k][0], k))
        _, _, k = heapq.heappop(ready)
        if done[k]:
            continue
        done[k] = True
        out.append(k)
        for b in after[k]:
            waiting[b] -= 1
            if waiting[b] == 0 and not done[b]:
                heapq.heappush(ready, (boxes[b][1], boxes[b][0], b))
    return out


def _before(boxes: list[Box], spanners: list[Box], mid: list[float], a: int, b: int) -> bool:
    A, B = boxes[a], boxes[b]
    if min(A[2], B[2]) - max(A[0], B[0]) > 1.0:  # they share columns
        return mid[a] < mid[b]
    if A[2] > B[0] + 1.0:
        return False  # a is not left of b
    lo, hi = sorted((mid[a], mid[b]))
    # Something between them in height that spans both cuts the page into bands: a's band comes first only if above.
    return not any(lo < mid[c] < hi and C[0] < A[2] and C[2] > B[0] and c not in (a, b) for c, C in enumerate(spanners))


def _paragraphs(chunk: list[Line]) -> list[Paragraph]:
    left = min(ln.x0 for ln in chunk)
    right = max(ln.x1 for ln in chunk)
    gaps = sorted(b.baseline - a.baseline for a, b in itertools.pairwise(chunk))
    usual = gaps[len(gaps) // 2] if gaps else 0.0
    out: list[Paragraph] = []
    start = 0
    for i in range(1, len(chunk)):
        prev, line = chunk[i - 1], chunk[i]
        em = max(line.size, 1.0)
        indented = line.x0 - left > _INDENT * em and i + 1 < len(chunk) and chunk[i + 1].x0 - left < 0.5 * em
        # A line ends short of the edge when the paragraph ends, or when the next word would not fit.
        short = right - prev.x1 > _first_word(line) + 0.5 * em
        if line.baseline - prev.baseline > usual + 0.5 * em or short or indented:
            out.append(_paragraph(chunk[start:i]))
            start = i
    out.append(_paragraph(chunk[start:]))
    return out


def _first_word(line: Line) -> float:
    """How wide the line's first word is (its first character for Chinese, which breaks anywhere)."""
    text, boxes = line.run.text, line.run.boxes
    end = 1 if is_cjk(text[:1]) else (text.find(" ") if " " in text else len(text))
    placed = [b for b in boxes[:end] if b is not None]
    return placed[-1][2] - line.x0 if placed else 0.0


def _paragraph(lines: list[Line]) -> Paragraph:
    sizes = Counter(round(ln.size, 1) for ln in lines for _ in range(len(ln.run.text)))
    return Paragraph(
        join_runs([ln.run for ln in lines]),
        _union([ln.box for ln in lines]),
        sizes.most_common(1)[0][0],
        all(ln.bold for ln in lines),
        len(lines),
    )


def _union(boxes: list[Box]) -> Box:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))
