"""What names a PDF table's rows, carried over a page break to the part of the table on the next page.

A long table goes on over the page with its header row printed once (or repeated): the rows on the
next page would read as bare figures ("Indiana | 130,333; 21,004"), and a question about one figure
could not find its row by the column's name. Only the last table of a page is carried, and only to
the next page, so what is held between pages stays one table's names however long the document.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa.ingest.readers.pdf_glyphs import Run

# Column edges (from the table's left edge, so mirrored page margins still match) may differ by this
# much, plus a share of the table's width: the same table set twice is ruled at the same places.
_EDGE_POINTS = 4.0
_EDGE_SHARE = 0.02


@dataclass(frozen=True)
class TableHeads:
    """A table's column headers, caption and row-label column, as a continuation on the next page uses them.

    The texts carry no boxes: they are drawn on the page before, and a block's boxes are on its own page.
    """

    columns: tuple[float, ...]  # the column edges, left to right
    headers: tuple[Run, ...]
    caption: Run | None
    label_col: int

    @classmethod
    def unboxed(cls, columns: list[float], headers: list[Run], caption: Run | None, label_col: int) -> TableHeads:
        return cls(
            tuple(columns), tuple(_unboxed(h) for h in headers), _unboxed(caption) if caption else None, label_col
        )

    def fits(self, columns: list[float]) -> bool:
        """Whether a table ruled at `columns` has this table's columns (the same count, at about the same places)."""
        if len(columns) != len(self.columns) or len(columns) < 2:
            return False
        width = max(self.columns[-1] - self.columns[0], columns[-1] - columns[0])
        near = _EDGE_POINTS + _EDGE_SHARE * width
        return all(abs((a - self.columns[0]) - (b - columns[0])) <= near for a, b in zip(self.columns, columns))

    def named_alike(self, headers: list[Run]) -> bool:
        """Whether `headers` repeat these headers' words (a header row printed again on the next page)."""
        words = [_words(h) for h in headers]
        return any(words) and words == [_words(h) for h in self.headers]


def _unboxed(run: Run) -> Run:
    return Run(run.text, [None] * len(run.text))


def _words(run: Run) -> str:
    return " ".join(run.text.split())
