"""Ruled tables on a PDF page: the grid pdfplumber finds, filled with the glyphs in each cell.

A grid counts as a table when it has two rows and two columns with text, and when no line of the
page's text runs across its edge (rules under a header of a table set without a grid are only a
part of it: that table stays text). Its glyphs leave the running text; `pdf_table_text` writes
its rows.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from qa.ingest.documents import Box
from qa.ingest.readers.pdf_glyphs import Glyph
from qa.ingest.readers.pdf_lines import Line, build_lines
from qa.ingest.readers.pdf_page import Grid

_EDGE_EMS = 2.0  # text this close outside a ruled box, on one of its lines, means the ruling is only part of a table


@dataclass
class Table:
    bbox: Box
    columns: list[float]  # the column edges, left to right
    row_edges: list[float]  # the ruled rows' tops, then the table's bottom
    cells: dict[Box, list[Line]] = field(default_factory=dict)  # each cell's text lines
    slots: list[list[Box | None]] = field(default_factory=list)  # [ruled row][column] -> the cell covering it


def split_tables(grids: list[Grid], glyphs: list[Glyph]) -> tuple[list[Table], list[Glyph]]:
    """The tables worth reading as tables, and the glyphs left for the running text."""
    tables: list[Table] = []
    rest = glyphs
    for grid in grids:
        inside = [g for g in rest if _within(g, grid.bbox)]
        outside = [g for g in rest if not _within(g, grid.bbox)]
        table = _table(grid, inside)
        if table is not None and not _runs_across_edge(grid.bbox, inside, outside):
            tables.append(table)
            rest = outside
    return tables, rest


def _within(g: Glyph, box: Box) -> bool:
    cx, cy = (g.x0 + g.x1) / 2, (g.top + g.bottom) / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


def _runs_across_edge(box: Box, inside: list[Glyph], outside: list[Glyph]) -> bool:
    baselines = sorted(g.baseline for g in inside)
    for g in outside:
        if g.bottom < box[1] or g.top > box[3]:
            continue
        near = _EDGE_EMS * g.size
        if box[0] - near <= g.x1 <= box[0] + 1 or box[2] - 1 <= g.x0 <= box[2] + near:
            k = bisect.bisect_left(baselines, g.baseline - 1.0)
            if k < len(baselines) and baselines[k] <= g.baseline + 1.0:
                return True
    return False


def _table(grid: Grid, glyphs: list[Glyph]) -> Table | None:
    grid_rows = [[c for c in row if c is not None] for row in grid.rows]
    grid_rows = [row for row in grid_rows if row]
    if len(grid_rows) < 2 or not glyphs:
        return None
    columns = _edges([c[0] for row in grid_rows for c in row] + [grid.bbox[2]])
    row_edges = [min(c[1] for c in row) for row in grid_rows] + [grid.bbox[3]]
    table = Table(grid.bbox, columns, row_edges)
    table.slots = [[None] * (len(columns) - 1) for _ in grid_rows]
    for i, row in enumerate(grid_rows):
        mid_y = (row_edges[i] + row_edges[i + 1]) / 2
        for j in range(len(columns) - 1):
            mid_x = (columns[j] + columns[j + 1]) / 2
            here = next((c for c in row if c[0] <= mid_x <= c[2]), None)
            if here is None and i > 0:
                above = table.slots[i - 1][j]
                here = above if above is not None and above[3] >= mid_y else None  # a cell spanning rows
            table.slots[i][j] = here
    members: dict[Box, list[Glyph]] = {}
    for g in glyphs:
        i = bisect.bisect_right(row_edges, (g.top + g.bottom) / 2) - 1
        j = bisect.bisect_right(columns, (g.x0 + g.x1) / 2) - 1
        if 0 <= i < len(table.slots) and 0 <= j < len(columns) - 1 and table.slots[i][j] is not None:
            members.setdefault(table.slots[i][j], []).append(g)  # type: ignore[arg-type]
    table.cells = {cell: build_lines(gs) for cell, gs in members.items()}
    filled = {j for row in table.slots for j, cell in enumerate(row) if cell in table.cells}
    return table if len(filled) >= 2 else None


def _edges(xs: list[float]) -> list[float]:
    out: list[float] = []
    for x in sorted(xs):
        if not out or x - out[-1] > 1.0:
            out.append(x)
    return out
