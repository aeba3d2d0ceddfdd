"""Rows of a PDF table as texts that name each value's column header, so one figure is found with its words.

A question about one figure ("Illinois' permit checks", "兴业银行盐城分行的剩余额度") must find the
row that holds it, with the words that say what the figure is. So each data row becomes

    <caption> | <row label> | <column header>: <value>; <column header>: <value>; ...

e.g. "表7-2：截至2023年3月末发行人授信及使用情况 | 兴业银行盐城分行 | 序号: 3; 授信总额: 302,600.00; ..."
The caption and header words keep the boxes of the characters they were read from; the
separators have none, nor do the names a table going on from the page before takes from it.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass

from qa.ingest.documents import Box
from qa.ingest.readers.pdf_glyphs import Run, join_runs
from qa.ingest.readers.pdf_lines import Line
from qa.ingest.readers.pdf_table_heads import TableHeads
from qa.ingest.readers.pdf_tables import Table
from qa.ingest.readers.table_rows import ROW_CHARS, end_mark, pieces

CAPTION = re.compile(r"^(续表|附表|表|Table|TABLE|Tab\.|Exhibit|EXHIBIT)\s*[\dA-Za-z一二三四五六七八九十IVX]")
_NUMBER = re.compile(r"^[\s\d.,%()（）+\-–—$¥€£*/:]+$")
_YEAR = re.compile(r"^(19|20)\d\d$")


def table_rows(table: Table, lines: list[Line], before: TableHeads | None = None) -> tuple[list[Run], TableHeads]:
    """One text a data row: the caption, the row's label, then each value after its column header.

    `before` names the rows of a table that goes on from the page before (`_continues`). Returned with
    the rows: this table's heads, for a table on the next page that goes on from this one.
    """
    rows = _text_rows(table)
    start = 0
    caption = _caption_above(table.bbox, lines)
    if rows and _is_title_row(rows[0]):
        title = next(c for c in rows[0] if c is not None)
        caption = caption or title.run
        start = 1
    end = start + 1
    while end < len(rows) and _spans(rows[end - 1]) and not any(_NUMBER.match(c.run.text) for c in _filled(rows[end])):
        end += 1  # a header row with spanning cells ("Pre-Pawn" over three) goes on in the row below
    headers = _headers(rows[start:end], table.columns)
    if before is not None and _continues(before, table, rows[start:], headers):
        if not before.named_alike(headers):
            headers, end = list(before.headers), start  # no header row of its own: every row is data
        caption = caption or before.caption
        label_col = before.label_col
    else:
        label_col = 1 if _is_index_column([row[0] for row in rows[end:]]) and len(headers) > 1 else 0
    heads = TableHeads.unboxed(table.columns, headers, caption, label_col)
    out = []
    for row in rows[end:]:
        out.extend(_row_runs(row, headers, label_col, caption))
    return out, heads


def _continues(before: TableHeads, table: Table, rows: list[TextRow], headers: list[Run]) -> bool:
    """Whether the table goes on from the one `before` ended the last page: its columns, and its header row
    repeated or none at all (its first row holds figures). A table with headers of its own is another table."""
    if not before.fits(table.columns) or not rows:
        return False
    return before.named_alike(headers) or not _looks_like_header(rows[0])


def _looks_like_header(row: TextRow) -> bool:
    """A row of words, or of years ("2022 | 2023"): a data row has figures beside its label."""
    texts = [c.run.text.strip() for c in _filled(row)]
    figures = [t for t in texts if _NUMBER.match(t)]
    return not figures or (len(figures) >= 2 and all(_YEAR.match(t) for t in figures))


@dataclass
class Cell:
    run: Run
    end: int  # one past the last column it spans
    lines: list[Line]  # as set on the page: a spanning header's lines may name different columns


# A text row: for each column, the cell that starts there, or None.
TextRow = list[Cell | None]


def _filled(row: TextRow) -> list[Cell]:
    return [c for c in row if c is not None and c.run.text]


def _spans(row: TextRow) -> bool:
    return any(c is not None and c.end - j > 1 for j, c in enumerate(row))


def _text_rows(table: Table) -> list[TextRow]:
    rows: list[TextRow] = []
    ncols = len(table.columns) - 1
    for slots in table.slots:
        # A cell spanning rows is in every row it covers: each row below takes its text again, as the page shows it.
        starts: dict[int, tuple[list[Line], int]] = {}
        j = 0
        while j < ncols:
            k = j + 1
            while k < ncols and slots[j] is not None and slots[k] == slots[j]:
                k += 1
            cell = slots[j]
            if cell is not None and table.cells.get(cell):
                starts[j] = (table.cells[cell], k)
            j = k
        depth = _sub_rows([lines for lines, _ in starts.values()])
        for n in range(depth):
            row: TextRow = [None] * ncols
            for j, (lines, end) in starts.items():
                if depth > 1:
                    row[j] = Cell(lines[n].run, end, [lines[n]]) if n < len(lines) else None
                else:
                    row[j] = Cell(join_runs([ln.run for ln in lines]), end, lines)
            if _filled(row):
                rows.append(row)
    return rows


def _sub_rows(cells: list[list[Line]]) -> int:
    """How many rows one ruled row holds: several when every filled cell has that many lines, side by side."""
    counts = {len(lines) for lines in cells}
    if len(cells) < 2 or len(counts) != 1 or (depth := counts.pop()) < 2:
        return 1
    for k in range(depth):
        baselines = [lines[k].baseline for lines in cells]
        if max(baselines) - min(baselines) > 2.0:
            return 1  # wrapped cells of different heights: one row
    return depth


def _is_title_row(row: TextRow) -> bool:
    filled = [(j, c) for j, c in enumerate(row) if c is not None and c.run.text]
    return len(row) > 2 and len(filled) == 1 and filled[0][1].end - filled[0][0] >= 0.75 * len(row)


def _headers(rows: list[TextRow], columns: list[float]) -> list[Run]:
    """Each column's header; a spanning header whose words sit over the columns below names each of them."""
    parts: list[list[Run]] = [[] for _ in range(len(columns) - 1)]
    for row in rows:
        for j, cell in enumerate(row):
            if cell is None:
                continue
            for line in _rows_of_words(cell.lines):
                for col, piece in _spread(line, columns, j, cell.end):
                    parts[col].append(piece)
    return [join_runs(p) if p else Run() for p in parts]


def _rows_of_words(lines: list[Line]) -> list[Run]:
    """A cell's text a baseline at a time: header words set wide apart over their columns are separate lines."""
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda ln: ln.baseline):
        if rows and abs(line.baseline - rows[-1][0].baseline) <= 2.0:
            rows[-1].append(line)
        else:
            rows.append([line])
    return [_spaced([ln.run for ln in sorted(row, key=lambda ln: ln.x0)]) for row in rows]


def _spread(run: Run, columns: list[float], j: int, k: int) -> list[tuple[int, Run]]:
    if k - j == 1:
        return [(j, run)]
    placed: dict[int, list[Run]] = {}
    for word in _words(run):
        boxes = [b for b in word.boxes if b is not None]
        if boxes:
            cx = (boxes[0][0] + boxes[-1][2]) / 2
            col = min(max(bisect.bisect_right(columns, cx) - 1, j), k - 1)
            placed.setdefault(col, []).append(word)
    if len(placed) == k - j:  # every column has words of its own: they name the columns below them
        return [(col, _spaced(words)) for col, words in sorted(placed.items())]
    return [(col, run) for col in range(j, k)]


def _words(run: Run) -> list[Run]:
    out: list[Run] = []
    word = Run()
    for ch, box in zip(run.text, run.boxes):
        if ch == " ":
            if word.text:
                out.append(word)
            word = Run()
        else:
            word.add(ch, box)
    if word.text:
        out.append(word)
    return out


def _spaced(words: list[Run]) -> Run:
    out = Run()
    for word in words:
        if out.text:
            out.add(" ", None)
        out.extend(word)
    return out


def _is_index_column(values: list[Cell | None]) -> bool:
    numbers = [c.run.text.strip() for c in values if c is not None and c.run.text.strip()]
    if len(numbers) < 2 or not all(n.isdigit() for n in numbers):
        return False
    return all(int(b) == int(a) + 1 for a, b in itertools.pairwise(numbers))


def _row_runs(row: TextRow, headers: list[Run], label_col: int, caption: Run | None) -> list[Run]:
    """The row's texts (`table_rows.row_texts`: a wide row is several, each led by the caption and label)."""
    label = row[label_col] if label_col < len(row) else None
    values = [(headers[j], c.run) for j, c in enumerate(row) if j != label_col and c is not None and c.run.text]
    if not values:
        return []
    lead = Run()
    if caption is not None:
        lead.extend(caption)
        lead.add(" | ", None)
    if label is not None and label.run.text:
        if _NUMBER.match(label.run.text) and headers[label_col].text:
            _pair(lead, headers[label_col], label.run)  # "年份: 2023" says more than "2023"
        else:
            lead.extend(label.run)
        lead.add(" | ", None)
    pairs = []
    for header, value in values:
        pair = Run()
        _pair(pair, header, value)
        pairs.append(pair)
    out = []
    for start, end in pieces([len(pair.text) + 2 for pair in pairs], max(1, ROW_CHARS - len(lead.text))):
        run = Run(lead.text, list(lead.boxes))
        for n, pair in enumerate(pairs[start:end]):
            if n:
                run.add("; ", None)
            run.extend(pair)
        out.append(ended(run))
    return out


def _pair(out: Run, header: Run, value: Run) -> None:
    if header.text:
        out.extend(header)
        out.add(": ", None)
    out.extend(value)


def ended(run: Run) -> Run:
    """The run with a sentence end where it has none (`table_rows`: so the splitter keeps each row apart)."""
    mark = end_mark(run.text)
    if mark:
        run.add(mark, None)
    return run


def _caption_above(box: Box, lines: list[Line]) -> Run | None:
    """The nearest of the few lines just above the table that reads like a caption (表7-2, Table 3)."""
    above = sorted(
        (ln for ln in lines if ln.bottom <= box[1] + 1 and ln.x1 > box[0] and ln.x0 < box[2]), key=lambda ln: -ln.bottom
    )
    edge = box[1]
    for ln in above[:3]:
        if edge - ln.bottom > 3 * ln.size:
            break
        if CAPTION.match(ln.run.text):
            return ln.run
        edge = ln.top
    return None
