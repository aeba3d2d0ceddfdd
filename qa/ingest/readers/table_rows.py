"""Table rows as text that names its columns, so a row read alone still says what each value is.

A passage may hold one row of a long table; "Zone GC | Sales: 2,548; Trading operating profit: 418"
answers a question about Zone GC's profit where "Zone GC 2,548 418" cannot. Values go under their
column header (`header: value`, pairs joined by "; "); leading columns without a header hold the
row's labels and go first (`label | ...`), as in a table whose top-left corner is empty.
"""

from __future__ import annotations

from collections.abc import Sequence

# A cell that a merged cell to its left covers: in a header row it repeats that cell's name.
Grid = list[list[str | None]]


def row_text(names: Sequence[str], values: Sequence[str]) -> str:
    """`label | name: value; name: value` for one row (empty values skipped); values alone when no column is named."""
    if not any(names):
        return "; ".join(v for v in values if v)
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
    text = "; ".join(pairs)
    return f"{label} | {text}" if label and text else label or text


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
        text = row_text(names, [cell or "" for cell in row])
        if text:
            out.append(text)
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
