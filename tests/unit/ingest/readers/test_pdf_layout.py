"""The PDF reader on small PDFs written for one case each (`pdf_samples`): columns, furniture, lines, tables."""

from __future__ import annotations

import io

import pytest

from qa.ingest.documents import Document
from qa.ingest.readers.pdf import PdfReader
from tests.unit.ingest.readers import pdf_samples as samples


def read(data: bytes, rel: str = "sample.pdf") -> Document:
    problems: list[tuple[str, str]] = []
    [doc] = PdfReader().read(rel, data, lambda where, why: problems.append((where, why)))
    assert not problems
    source = "\n\n".join(b.text for b in doc.blocks)
    for block in doc.blocks:
        assert source[block.start : block.end] == block.text
        assert block.boxes is not None and len(block.boxes) == len(block.text)
    return doc


@pytest.mark.parametrize(
    ("chinese", "left", "right"),
    [(False, samples.ENGLISH_LEFT, samples.ENGLISH_RIGHT), (True, samples.CHINESE_LEFT, samples.CHINESE_RIGHT)],
    ids=["english", "chinese"],
)
def test_two_columns_are_read_one_after_the_other(chinese: bool, left: str, right: str) -> None:
    doc = read(samples.two_columns(chinese))
    texts = [b.text for b in doc.blocks]
    assert texts[0] == "A Town by the Sea" and doc.blocks[0].heading == 1
    # Each column is one paragraph, whole, in its own order: the lines side by side are never mixed.
    squeeze = "".join if chinese else " ".join
    assert [squeeze(t.split()) for t in texts[1:]] == [squeeze(left.split()), squeeze(right.split())]


def test_running_headers_footers_and_page_numbers_are_dropped() -> None:
    doc = read(samples.running_headers())
    assert [(b.page, b.text) for b in doc.blocks] == [(n, body) for n, body in enumerate(samples.BODIES, 1)]


def test_lines_are_joined_as_written() -> None:
    doc = read(samples.hyphenated())
    english, chinese = doc.blocks
    assert english.text == (
        "The committee published a comprehensive review of the city water supply and of the cost of its "
        "maintenance over the last ten years."
    )
    assert (
        chinese.text == "委员会发布了一份关于供水系统的全面审查报告，涵盖十年的维护费用。"
    )  # no space where the line broke
    assert english.boxes is not None and chinese.boxes is not None
    joint = english.text.index("hensive")
    before, after = english.boxes[joint - 1], english.boxes[joint]
    assert before is not None and after is not None  # "compre|hensive": the hyphen is gone, nothing put in
    assert before[1] < after[1]  # ... though the halves are drawn on two lines
    spaces = [english.boxes[k] for k, ch in enumerate(english.text) if ch == " "]
    assert spaces.count(None) == len(spaces)  # spaces are inserted, never drawn


def test_a_table_row_names_its_caption_label_and_column_headers() -> None:
    doc = read(samples.ruled_table())
    texts = [b.text for b in doc.blocks]
    assert texts == [
        "Sales by region are shown below for the year.",
        "Table 3: Sales by region",
        "Table 3: Sales by region | North | Sales: 120.5; Profit: 15.2; Staff: 40.",
        "Table 3: Sales by region | South | Sales: 98.1; Profit: 7.9; Staff: 31.",
    ]
    assert not any(b.heading for b in doc.blocks)  # a bold caption is not a heading
    north = doc.blocks[2]
    assert north.boxes is not None
    sales = north.text.index("Sales:")
    caption = doc.blocks[1].boxes
    assert caption is not None
    assert north.boxes[0] == caption[0]  # the caption's words keep the boxes they are drawn in
    assert north.boxes[sales] is not None and north.boxes[sales + 5] is None  # a header word; the ":" put after it


def test_headings_come_from_type_size_and_weight() -> None:
    doc = read(samples.headings())
    assert [(b.heading, b.text) for b in doc.blocks] == [
        (1, "Water Supply Review"),
        (0, "The review looks at every pipe and pump the city owns, and at what they cost."),
        (2, "Findings"),
        (0, "Most pumps are older than thirty years and use more power than new ones."),
    ]
    assert doc.title == "Water Supply Review"  # no title in the metadata: the first top heading


@pytest.mark.parametrize(
    ("meta", "title"),
    [
        ("Review of the City Water Supply", "Review of the City Water Supply"),
        ("Microsoft Word - draft3.docx", "Water Supply Review"),
    ],
)
def test_the_metadata_title_is_used_when_an_author_wrote_it(meta: str, title: str) -> None:
    assert read(samples.headings(title=meta)).title == title


@pytest.mark.parametrize(
    ("pages", "repeat_header"),
    [(2, False), (3, False), (2, True), (3, True)],
    ids=["2", "3", "2-repeated", "3-repeated"],
)
def test_a_table_going_on_over_pages_names_its_columns_on_every_page(pages: int, repeat_header: bool) -> None:
    doc = read(samples.table_over_pages(pages, repeat_header))
    caption = "Table 4: Background checks by state"
    rows = [b for b in doc.blocks if " | " in b.text]
    assert [(b.page, b.text) for b in rows] == [
        (1 + n // 2, f"{caption} | {state} | Permit: {permit}; Handgun: {hand}; Long Gun: {long}.")
        for n, (state, permit, hand, long) in enumerate(samples.CHECKS[: 2 * pages])
    ]  # the header row printed again is no row of data ("State | Permit: Permit; ...")
    import pdfplumber

    with pdfplumber.open(io.BytesIO(samples.table_over_pages(pages, repeat_header))) as pdf:
        drawn = {n: [(c["text"], c["x0"], c["top"]) for c in page.chars] for n, page in enumerate(pdf.pages, 1)}
    for block in rows[2:]:
        assert block.boxes is not None and block.page is not None
        # The names come from the page before, drawn nowhere on this one; a repeated header is drawn here.
        assert set(block.boxes[: len(caption)]) == {None}
        header = block.boxes[block.text.index("Permit")]
        assert (header is not None) == repeat_header
        value = block.text.index("; Handgun") - 1  # the permit figure's last digit, boxed where it is drawn
        box = block.boxes[value]
        assert box is not None
        assert any(
            t == block.text[value] and abs(x - box[0]) < 0.5 and abs(y - box[1]) < 0.5 for t, x, y in drawn[block.page]
        )


@pytest.mark.parametrize(
    ("columns", "page_two"),
    [
        (5, ["12: 13 | 1,204: 1,377; 310: 295; 22: 19; 7: 4."]),  # more columns: read as a table of its own
        (4, ["May | Permits: 1,204; Denials: 310; Appeals: 22."]),  # the same columns, with a header of its own
    ],
    ids=["other-columns", "own-header"],
)
def test_another_table_on_the_next_page_keeps_its_own_names(columns: int, page_two: list[str]) -> None:
    doc = read(samples.another_table_after(columns))
    assert [b.text for b in doc.blocks if b.page == 2] == page_two
