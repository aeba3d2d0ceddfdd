"""The Excel reader: a document a visible sheet, rows naming their columns, cells as Excel shows them.

The shared workbooks answer their cell questions from one block on the question's sheet that
also names the cell's column; the small workbooks are written here with openpyxl.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from qa.ingest.corpus import read_corpus
from qa.ingest.readers import Skip
from qa.ingest.readers.sheet import GROUP_CHARS, sheet_blocks
from qa.ingest.readers.xlsx import XlsxReader
from tests.unit.ingest.readers.real_documents import (
    assert_offsets,
    document,
    question_params,
    read_shared,
    saved,
    squeeze,
)


def read(data: bytes, rel: str = "book.xlsx") -> list[Any]:
    problems: list[tuple[str, str]] = []
    docs = XlsxReader().read(rel, data, lambda where, why: problems.append((where, why)))
    assert not problems
    for doc in docs:
        assert_offsets(doc.blocks)
    return docs


def with_cached_value(data: bytes, formula: str, value: str) -> bytes:
    """The workbook as Excel saves it: the formula's last result stored beside it (openpyxl stores none)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            body = source.read(item)
            if item.filename.startswith("xl/worksheets/"):
                body = body.replace(f"<f>{formula}</f><v></v>".encode(), f"<f>{formula}</f><v>{value}</v>".encode())
            target.writestr(item, body)
    return out.getvalue()


def column_header(data: bytes, loc: str) -> str:
    """The header over a cell, found apart from the reader: the column's cell in the sheet's first row
    that fills at least half as many cells as its fullest row."""
    sheet_name, ref = loc.rsplit("!", 1)
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True)[sheet_name.strip("'")]
    column = openpyxl.utils.cell.column_index_from_string(re.sub(r"\d", "", ref)) - 1
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    fullest = max(sum(v is not None for v in row) for row in rows)
    header = next(row for row in rows if sum(v is not None for v in row) * 2 >= fullest)
    return str(header[column] or "") if column < len(header) else ""


@pytest.mark.parametrize("question", question_params(".xlsx"))
def test_each_cell_answer_lies_in_one_block_on_its_sheet_that_names_the_column(question: dict) -> None:
    docs = read_shared(question["file"])
    answer = question["answer"]
    holding = [b for d in docs for b in d.blocks if squeeze(answer, answer) in squeeze(b.text, answer)]
    assert holding, f"{answer!r} is in no block"
    assert question["page"] in [b.page for b in holding]
    header = " ".join(column_header(document(question["file"]), question["loc"]).split())
    if header:
        assert any(header in " ".join(b.text.split()) for b in holding if b.page == question["page"])


def test_a_sheet_is_a_document_with_its_title_row_as_heading_and_cells_as_shown() -> None:
    workbook = openpyxl.Workbook()
    sales = workbook.active
    sales.title = "Sales"
    sales["A1"] = "2023 Sales Report"
    sales.merge_cells("A1:D1")
    for column, name in zip("ABCD", ["Name", "Amount", "Date", "Total"]):
        sales[f"{column}3"] = name
    sales["A4"], sales["B4"], sales["C4"], sales["D4"] = "Widget", 1234.5, dt.date(2023, 5, 1), "=B4*2"
    sales["B4"].number_format = sales["D4"].number_format = "#,##0.00"
    sales["A5"], sales["B5"], sales["C5"] = "Gadget", 12.0, dt.datetime(2023, 6, 2, 9, 30)
    hidden = workbook.create_sheet("Secret")
    hidden.sheet_state = "hidden"
    hidden["A1"] = "do not index this"
    notes = workbook.create_sheet("Notes")
    notes["A1"] = "Remember to file the report."

    docs = read(with_cached_value(saved(workbook), "B4*2", "2469"), "book.xlsx")

    assert [(d.id, d.path, d.title, d.kind) for d in docs] == [
        ("book.xlsx#Sales", "book.xlsx", "book — Sales", "xlsx"),
        ("book.xlsx#Notes", "book.xlsx", "book — Notes", "xlsx"),  # the hidden sheet is not read
    ]
    sales_doc, notes_doc = docs
    assert [(b.text, b.heading, b.page) for b in sales_doc.blocks] == [
        ("2023 Sales Report", 2, 1),
        (
            "Name: Widget; Amount: 1,234.50; Date: 2023-05-01; Total: 2,469.00.\n"
            "Name: Gadget; Amount: 12; Date: 2023-06-02 09:30.",
            0,
            1,
        ),
    ]
    # A sheet's page is its place in the workbook, hidden sheets counted, as Sheet!A1 references count.
    assert [(b.text, b.page) for b in notes_doc.blocks] == [("Remember to file the report.", 3)]


def test_a_second_table_under_a_repeated_header_gets_its_own_heading() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in [
        ["3.1 Operating segments"],
        [],
        [None, "Sales", "Profit"],
        ["Zone A", 100, -10],
        ["Zone B", 200, 20],
        [],
        ["In millions of CHF", "January–June 2022"],
        [None, "Sales", "Profit"],
        ["Zone A", 90, 9],
        [],
        ["(a) Zones are regions."],
    ]:
        sheet.append(row)
    sheet["C4"].number_format = "#,##0;(#,##0)"

    [doc] = read(saved(workbook))

    assert [(b.text, b.heading) for b in doc.blocks] == [
        ("3.1 Operating segments", 2),
        ("Zone A | Sales: 100; Profit: (10).\nZone B | Sales: 200; Profit: 20.", 0),
        ("In millions of CHF January–June 2022", 2),
        ("Zone A | Sales: 90; Profit: 9.\n(a) Zones are regions.", 0),
    ]


def test_rows_stream_through_and_short_rows_share_blocks() -> None:
    """A long sheet is never held: the first block comes out after a few dozen rows, every row once."""
    read_so_far = 0

    def rows():
        nonlocal read_so_far
        yield [("Item", True), ("Count", True)]
        for n in range(100_000):
            read_so_far = n + 1
            yield [(f"item {n}", True), (str(n), False)]

    blocks = sheet_blocks(rows())
    first, _ = next(blocks)
    assert read_so_far < 100
    assert first.startswith("Item: item 0; Count: 0.\nItem: item 1; Count: 1.\n")
    texts = [first] + [text for text, _ in blocks]
    assert all(len(text) <= GROUP_CHARS for text in texts)
    assert sum(text.count("\n") + 1 for text in texts) == 100_000


def test_unreadable_workbooks_are_skipped_with_the_reason(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "value"
    good = saved(workbook)
    (tmp_path / "truncated.xlsx").write_bytes(good[: len(good) // 2])
    (tmp_path / "fine.xlsx").write_bytes(good)

    report = read_corpus(tmp_path)

    assert [line.split(": ", 1)[0] for line in report.skipped] == ["truncated.xlsx"]
    assert "damaged" in report.skipped[0]
    assert [d.path for d in report.documents] == ["fine.xlsx"]
    empty = openpyxl.Workbook()
    with pytest.raises(Skip, match="no visible sheet has any text"):
        XlsxReader().read("empty.xlsx", saved(empty), lambda where, why: None)


def test_a_footnote_names_the_column_or_row_its_mark_stands_on() -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in [
        [None, "Sales (a)", "Profit"],
        ["Zone A", 100, 10],
        ["Unallocated items (b)", 0, -5],
        [],
        ["(a) Net of rebates."],
        ["(b) Mainly corporate expenses."],
        ["(c) A mark nothing carries stays as it is."],
    ]:
        sheet.append(row)

    [doc] = read(saved(workbook))

    text = "\n".join(b.text for b in doc.blocks)
    # Read alone, "(b) Mainly corporate expenses." would not say what the unallocated items are.
    assert "(a) Sales: Net of rebates." in text
    assert "(b) Unallocated items: Mainly corporate expenses." in text
    assert "(c) A mark nothing carries stays as it is." in text
