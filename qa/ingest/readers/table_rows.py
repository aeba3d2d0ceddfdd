"""Table rows as text that names its columns, so a row read alone still says what each value is.

A passage may hold one row of a long table; "Zone GC | Sales: 2,548; Trading operating profit: 418"
answers a question about Zone GC's profit where "Zone GC 2,548 418" cannot. Values go under their
column header (`header: value`, pairs joined by "; "); leading columns without a header hold the
row's labels and go first (`label | ...`), as in a table whose top-left corner is empty.

A row's text ends a sentence and stays shorter than a passage: the passage splitter would otherwise
glue rows together (they read as a paragraph that stops mid-sentence) and cut a wide row where it
finds a comma, which may be inside a number (2,|548). A row too wide for one passage becomes
several texts, each starting with the row's labels, so every value is still found with its row.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from qa.text.script import is_cjk

# A cell that a merged cell to its left covers: in a header row it repeats that cell's name.
Grid = list[list[str | None]]

# Under a passage's 400 characters (qa.ingest.passages.MAX_CHARS) with room for the labels it repeats.
ROW_CHARS = 360
# What the passage splitter takes for a sentence's end (qa.ingest.layout): a row so ended stands alone.
_ENDS = "。！？；!?.…:："


def row_text(names: Sequence[str], values: Sequence[str]) -> str:
    """`label | name: value; name: value` for one row (empty values skipped); values alone when no column is named."""
    return " ".join(row_texts(names, values, bound=0))


def row_texts(names: Sequence[str], values: Sequence[str], bound: int = ROW_CHARS) -> list[str]:
    """One row as texts of at most `bound` characters (0: no bound), each ending a sentence and
    starting with the row's labels; [] for a row with no values."""
    if not any(names):
        return _ended(pack("", [v for v in values if v], bound, "; "))
    first_named = next(k for k, name in enumerate(names) if name)
    labels: list[str] = []
    pairs: list[str] = []
    for k, value in enumerate(values):
        if not value:
            continue
        name = names[k] if k < len(names) else ""
        if k < first_named:
            labels.append(value)
        elif name and name != value:
            pairs.append(f"{name}: {value}")
        else:
            pairs.append(value)
    label = " ".join(labels)
    if not pairs:
        return _ended([label] if label else [])
    return _ended(pack(f"{label} | " if label else "", pairs, bound, "; "))


def pack(prefix: str, items: Sequence[str], bound: int, sep: str) -> list[str]:
    """`prefix` + items joined by `sep`, cut into as few texts of about `bound` characters as will
    hold them (0: one text), each led by `prefix`; an item longer than the bound is a text alone."""
    if not items:
        return []
    spans = pieces([len(item) + len(sep) for item in items], max(1, bound - len(prefix)) if bound else 0)
    return [prefix + sep.join(items[a:b]) for a, b in spans]


def pieces(lengths: Sequence[int], bound: int) -> list[tuple[int, int]]:
    """[start, end) runs of consecutive items whose lengths sum to about the same, each within
    `bound` where an item allows it (0: one run), so a wide row splits into even halves, not a
    full text and a scrap."""
    total = sum(lengths)
    if not bound or total <= bound:
        return [(0, len(lengths))] if lengths else []
    target = total / math.ceil(total / bound)
    out: list[tuple[int, int]] = []
    start, size = 0, 0
    for k, length in enumerate(lengths):
        if k > start and (size + length > bound or size + length / 2 > target):
            out.append((start, k))
            start, size = k, 0
        size += length
    out.append((start, len(lengths)))
    return out


def end_mark(text: str) -> str:
    """What ends `text` as a sentence: "" where it already ends one, "。" after Chinese, else "."."""
    if not text or text[-1] in _ENDS:
        return ""
    return "。" if is_cjk(text[-1]) else "."


def _ended(texts: list[str]) -> list[str]:
    return [t + end_mark(t) for t in texts if t]


def table_rows(grid: Grid) -> list[str]:
    """The data rows of a table (Word, PowerPoint) as texts naming their columns; the header rows name them.

    The first row is the header; when one of its cells spans several columns (a group header over
    sub-columns), the second row is a header too and each column is named by both.
    """
    if not grid:
        return []
    width = max(len(row) for row in grid)
    rows = [row + [""] * (width - len(row)) for row in grid]
    header_rows = 2 if len(rows) > 2 and any(cell is None for cell in rows[0]) else 1
    names = _names(rows[:header_rows], width)
    out = []
    for row in rows[header_rows:]:
        out.extend(row_texts(names, [cell or "" for cell in row]))
    return out


def _names(header_rows: list[list[str | None]], width: int) -> list[str]:
    names = []
    for k in range(width):
        parts: list[str] = []
        for row in header_rows:
            j = k
            while j > 0 and row[j] is None:  # a merged header cell names every column it spans
                j -= 1
            part = row[j] or ""
            if part and part not in parts:
                parts.append(part)
        names.append(" ".join(parts))
    return names
