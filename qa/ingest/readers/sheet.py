"""A worksheet (or a CSV file) as blocks: title rows as a heading, then data rows that name their columns.

Spreadsheets are rarely one clean table. Title rows sit above the header ("3.1 Operating segments",
"In millions of CHF"), a second table may follow the first with its header repeated, and notes
trail below. The header is the first row as wide as the table whose cells are mostly text; rows
above it form a heading; a later copy of the header (or an all-text wide row after a gap in a
table of numbers) starts a new table, the short rows just above it its heading. Rows stream
through: only the first `LOOKAHEAD` are held, to find the header.

A footnote below a table ("(e) Mainly corporate expenses") names what its mark stands on
("(e) Unallocated items: Mainly corporate expenses"): read alone, a passage of footnotes says
nothing about the rows they explain, and the question asks about those rows.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from itertools import chain, islice

from qa.ingest.documents import Block
from qa.ingest.readers.blocks import BlockList
from qa.ingest.readers.table_rows import row_texts

# (text as shown, whether it is text rather than a number, date or truth value); "" for an empty cell.
Cell = tuple[str, bool]
Row = list[Cell]

LOOKAHEAD = 30  # non-empty rows read before choosing the header
GROUP_CHARS = 300  # short rows share a block up to this length, so a passage holds several
TITLE_CHARS = 120  # a longer row above the header is a note, kept as text, not part of the heading
_PENDING_MAX = 8  # short rows held while waiting to see whether a new header follows them
_HEADER_ROWS_MAX = 3
_YEAR = re.compile(r"(19|20)\d\d")  # a year in a header row is a column name, not a number
_MARKED = re.compile(r"^(?P<name>.*\S)\s*(?P<mark>\([a-z]\)|\(\d{1,2}\)|\*{1,3})$")  # Sales (a), Other*
_NOTE = re.compile(r"^(?P<mark>\([a-z]\)|\(\d{1,2}\)|\*{1,3})\s+(?P<note>\S.*)$", re.S)  # (a) Composed of ...


def sheet_page(rows: Iterable[Row], page: int | None) -> list[Block]:
    """The blocks of one sheet (or CSV file), all on `page`."""
    blocks = BlockList()
    for text, heading in sheet_blocks(rows):
        blocks.add(text, heading=heading, page=page)
    return blocks.blocks


def sheet_blocks(rows: Iterable[Row]) -> Iterator[tuple[str, int]]:
    """(text, heading level) for each block of a sheet, in order; heading 0 for data."""
    filled = _filled_rows(rows)
    window = list(islice(filled, LOOKAHEAD))
    if not window:
        return
    table = _Table(max(_count(row) for row, _ in window))
    # Rows above the first full-width one title the table; a sheet without one (a list, notes) is all rows.
    wide = next((k for k, (row, _) in enumerate(window) if table.is_wide(row)), None)
    wide_at = wide or 0
    yield from table.preamble([row for row, _ in window[:wide_at]])
    if wide is not None and _headerish(window[wide_at][0]):
        headers = [window[wide_at][0]]
        # A second header row right below the first (a period over the column names) when data follows it.
        while len(headers) < _HEADER_ROWS_MAX and _more_header(table, window, wide_at + len(headers)):
            headers.append(window[wide_at + len(headers)][0])
        table.start(headers)
        wide_at += len(headers)
    for row, gap_before in chain(window[wide_at:], filled):
        yield from table.add(row, gap_before)
    yield from table.finish()


def _filled_rows(rows: Iterable[Row]) -> Iterator[tuple[Row, bool]]:
    """Rows with a value, each with whether blank rows came before it."""
    gap = False
    for row in rows:
        if any(text for text, _ in row):
            yield row, gap
            gap = False
        else:
            gap = True


def _more_header(table: _Table, window: list[tuple[Row, bool]], k: int) -> bool:
    if k + 1 >= len(window):
        return False
    (row, gap), (after, _) = window[k], window[k + 1]
    return not gap and table.is_wide(row) and _headerish(row) and not _headerish(after)


class _Table:
    """The state of one sheet's table while its rows stream through."""

    def __init__(self, width: int) -> None:
        self.threshold = max(2, math.ceil(width / 2))  # cells a row needs to be a header or a full row
        self.names: list[str] = []
        self.rows: list[Row] = []  # the header rows
        self.headers: list[list[tuple[int, str]]] = []  # their filled cells, to know a repeated header
        self.pending: list[Row] = []  # short rows that may be the heading of a next table
        self.group: list[str] = []
        self.numbers = self.cells = 0  # of the current table's data, to tell a new header from a text row
        self.marks: dict[str, list[str]] = {}  # a footnote mark -> the names and labels it stands on

    def is_wide(self, row: Row) -> bool:
        return _count(row) >= self.threshold

    def preamble(self, rows: list[Row]) -> Iterator[tuple[str, int]]:
        titles: list[str] = []
        for row in rows:
            text = " ".join(t for t, _ in row if t)
            if len(text) <= TITLE_CHARS:
                titles.append(text)
            else:
                yield from self._heading(titles)
                titles = []
                yield text, 0
        yield from self._heading(titles)

    def start(self, headers: list[Row]) -> None:
        """Name the columns by these header rows (a name joins the rows' texts in its column)."""
        self.headers = [_texts(row) for row in headers]
        self.rows = headers
        width = max(len(row) for row in headers)
        self.names = []
        for k in range(width):
            parts = [row[k][0] for row in headers if k < len(row) and row[k][0]]
            self.names.append(" ".join(dict.fromkeys(parts)))
        self.numbers = self.cells = 0
        self.marks = {}
        self._mark(self.names)

    def add(self, row: Row, gap_before: bool) -> Iterator[tuple[str, int]]:
        texts = _texts(row)
        if self.headers and texts == self.headers[0]:
            yield from self._new_table(self.rows, self.pending)  # the header again: the same columns
            return
        if texts in self.headers[1:]:
            return
        if self.headers and (not self.is_wide(row) or ((gap_before or self.pending) and self._may_head(row))):
            # Held until the next row tells whether they head a next table or are rows of this one.
            self.pending.append(row)
            if len(self.pending) > _PENDING_MAX:
                yield from self._flush_pending()
            return
        if self.pending and self._may_head(self.pending[-1]) and not _headerish(row):
            yield from self._new_table([self.pending[-1]], self.pending[:-1])  # a new header, data below it
        yield from self._flush_pending()
        yield from self._data(row)

    def finish(self) -> Iterator[tuple[str, int]]:
        yield from self._flush_pending()
        if self.headers and not self.cells:  # a header with no rows under it is still the sheet's text
            self.group.append("; ".join(name for name in self.names if name))
        yield from self._flush_group()

    def _may_head(self, row: Row) -> bool:
        """An all-text row as wide as the table, in a table of numbers: the header of a next table."""
        mostly_numbers = self.cells > 0 and self.numbers * 2 > self.cells
        return mostly_numbers and self.is_wide(row) and all(is_text for text, is_text in row if text)

    def _new_table(self, headers: list[Row], above: list[Row]) -> Iterator[tuple[str, int]]:
        yield from self._flush_group()
        yield from self._heading([" ".join(t for t, _ in row if t) for row in above])
        self.pending = []
        self.start(headers)

    def _data(self, row: Row) -> Iterator[tuple[str, int]]:
        for text, is_text in row:
            if text:
                self.cells += 1
                self.numbers += not is_text
        note = self._note(row)
        if note is not None:
            yield from self._grouped([note])
            return
        self._mark([t for t, is_text in row if is_text])
        yield from self._grouped(row_texts(self.names, [t for t, _ in row]))

    def _mark(self, texts: Iterable[str]) -> None:
        for text in texts:
            marked = _MARKED.match(text)
            if marked and marked["name"] not in self.marks.setdefault(marked["mark"], []):
                self.marks[marked["mark"]].append(marked["name"])

    def _note(self, row: Row) -> str | None:
        """A footnote row with what its mark stands on ("(e) Unallocated items: ..."); None for another row."""
        filled = [text for text, _ in row if text]
        note = _NOTE.match(filled[0]) if len(filled) == 1 else None
        if note is None or note["mark"] not in self.marks:
            return None
        return f"{note['mark']} {' / '.join(self.marks[note['mark']])}: {note['note']}"

    def _grouped(self, texts: list[str]) -> Iterator[tuple[str, int]]:
        for text in texts:
            if self.group and sum(len(t) + 1 for t in self.group) + len(text) > GROUP_CHARS:
                yield from self._flush_group()
            self.group.append(text)

    def _flush_pending(self) -> Iterator[tuple[str, int]]:
        rows, self.pending = self.pending, []
        for row in rows:
            yield from self._data(row)

    def _flush_group(self) -> Iterator[tuple[str, int]]:
        if self.group:
            yield "\n".join(self.group), 0
        self.group = []

    def _heading(self, titles: list[str]) -> Iterator[tuple[str, int]]:
        titles = [t for t in titles if t]
        if titles:
            yield from self._flush_group()
            yield " / ".join(titles), 2  # a section of the sheet: the document title stays the sheet's


def _count(row: Row) -> int:
    return sum(1 for text, _ in row if text)


def _texts(row: Row) -> list[tuple[int, str]]:
    return [(k, text) for k, (text, _) in enumerate(row) if text]


def _headerish(row: Row) -> bool:
    """Mostly names: text with a letter in it ("—" for zero is not one), or a year (columns 2022, 2023)."""
    filled = [(text, is_text) for text, is_text in row if text]
    named = sum(1 for text, is_text in filled if (is_text and any(c.isalpha() for c in text)) or _YEAR.fullmatch(text))
    return named * 2 > len(filled)
