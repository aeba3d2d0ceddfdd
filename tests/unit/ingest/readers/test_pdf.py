"""The PDF reader on the shared real PDFs: every question's answer in one block on its page, boxed where it is drawn.

The boxes are checked against the characters pdfplumber reports for the page, not against the
reader's own arithmetic; headers, footers, columns, tables and the scan are checked on the
documents that have them.
"""

from __future__ import annotations

import io
import re
from functools import cache
from typing import Any

import pytest

from qa.ingest.documents import Block, Document
from qa.ingest.readers import Skip, choose
from qa.ingest.readers.pdf import PdfReader
from qa.ingest.readers.table_rows import ROW_CHARS
from tests.unit.ingest.readers.real_documents import document, question_params, squeeze

TEXT_PDFS = [
    "zh_bond_prospectus_tables.pdf",
    "zh_academic_paper_page.pdf",
    "zh_classical_poems.pdf",
    "en_federal_register_2020-17221.pdf",
    "en_nics_background_checks_2015-11.pdf",
]
# Characters the reader puts between the characters it read: a joining space, a table's separators.
INSERTED = set(" |:;.。")  # what joins a table row's cells, and the end that makes it a sentence


@cache
def read(name: str) -> tuple[Document, tuple[tuple[str, str], ...]]:
    data = document(name)
    problems: list[tuple[str, str]] = []
    assert isinstance(choose(name, data), PdfReader)
    [doc] = PdfReader().read(name, data, lambda where, why: problems.append((where, why)))
    return doc, tuple(problems)


_read_now = read.__wrapped__  # uncached: for a test that changes what the reader finds installed


@cache
def library_chars(name: str, page: int) -> list[tuple[str, tuple[float, float, float, float]]]:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(document(name))) as pdf:
        return [(c["text"], (c["x0"], c["top"], c["x1"], c["bottom"])) for c in pdf.pages[page - 1].chars]


def page_size(name: str, page: int) -> tuple[float, float]:
    import pdfplumber

    with pdfplumber.open(io.BytesIO(document(name))) as pdf:
        return float(pdf.pages[page - 1].width), float(pdf.pages[page - 1].height)


def find(doc: Document, answer: str) -> list[Block]:
    return [b for b in doc.blocks if squeeze(answer, answer) in squeeze(b.text, answer)]


def answer_positions(block: Block, answer: str) -> list[int]:
    """The indexes in block.text of the answer's non-space characters (matched as answers are compared)."""
    kept = [(k, ch) for k, ch in enumerate(block.text) if not ch.isspace()]
    target = "".join(answer.split())
    flat = "".join(ch for _, ch in kept)
    at = flat.index(target)
    return [kept[at + n][0] for n in range(len(target))]


PDF_QUESTIONS = [p for p in question_params(".pdf") if p.values[0] is None or p.values[0]["kind"] != "scan"]


@pytest.mark.parametrize("question", PDF_QUESTIONS)
def test_each_answer_is_in_one_block_on_its_page(question: dict[str, Any]) -> None:
    doc, _ = read(question["file"])
    pages = [b.page for b in find(doc, question["answer"])]
    assert question["page"] in pages, (question["answer"], pages)


@pytest.mark.parametrize("question", PDF_QUESTIONS)
def test_each_answer_is_boxed_where_its_characters_are_drawn(question: dict[str, Any]) -> None:
    name, answer = question["file"], question["answer"]
    doc, _ = read(name)
    block = next(b for b in find(doc, answer) if b.page == question["page"])
    width, height = page_size(name, question["page"])
    drawn = library_chars(name, question["page"])
    assert block.boxes is not None
    for k in answer_positions(block, answer):
        box = block.boxes[k]
        assert box is not None, (answer, block.text[k])
        x0, top, x1, bottom = box
        assert -0.5 <= x0 < x1 <= width + 0.5 and -0.5 <= top < bottom <= height + 0.5
        same = [b for t, b in drawn if t == block.text[k] and all(abs(p - q) <= 0.5 for p, q in zip(b, box))]
        assert same, f"{block.text[k]!r} of {answer!r} at {box}: no such character there on the page"


@pytest.mark.parametrize("name", TEXT_PDFS)
def test_blocks_are_slices_of_the_source_with_a_box_per_character(name: str) -> None:
    doc, _ = read(name)
    assert doc.kind == "pdf" and doc.id == doc.path == name and doc.blocks
    source = "\n\n".join(b.text for b in doc.blocks)
    pages = [b.page or 0 for b in doc.blocks]
    assert pages == sorted(pages) and pages[0] >= 1  # one page after another, each block on one
    for block in doc.blocks:
        assert source[block.start : block.end] == block.text
        assert block.text == block.text.strip() and "\n" not in block.text
        assert block.boxes is not None and len(block.boxes) == len(block.text)
        assert all(box is not None or ch in INSERTED for ch, box in zip(block.text, block.boxes))


def test_running_headers_footers_and_page_numbers_are_dropped() -> None:
    doc, _ = read("en_federal_register_2020-17221.pdf")
    texts = [b.text for b in doc.blocks]
    assert not [t for t in texts if "Federal Register / Vol." in t or "VerDate" in t or "Jkt 250001" in t]
    assert not [t for t in texts if re.fullmatch(r"477\d\d", t)]  # the page numbers 47698...47712
    assert any("published in the Federal Register" in t for t in texts)  # the words themselves stay in the text
    bond, _ = read("zh_bond_prospectus_tables.pdf")
    assert "251" not in [b.text for b in bond.blocks]  # a lone page number at the foot of a one-page PDF


def test_three_columns_are_read_column_by_column() -> None:
    doc, _ = read("en_federal_register_2020-17221.pdf")
    first = [b.text for b in doc.blocks if b.page == 1]

    def at(words: str) -> int:
        return next(k for k, t in enumerate(first) if words in t)

    # Left column, then the middle one, then the right one, each top to bottom.
    assert at("AGENCY:") < at("SUMMARY:") < at("Examining the AD Docket") < at("Comments Invited")
    assert at("Comments Invited") < at("Confidential Business Information") < at("Background")
    summary = first[at("SUMMARY:")]
    assert "The FAA proposes to supersede Airworthiness Directive (AD) 2018–23–51" in summary


def test_a_chinese_paper_is_read_in_page_order_whatever_its_drawing_order() -> None:
    doc, _ = read("zh_academic_paper_page.pdf")  # the title and authors are drawn last
    texts = [b.text for b in doc.blocks]
    title = next(k for k, b in enumerate(doc.blocks) if b.heading == 1)
    assert texts[title].startswith("数字拟人品：数字技术、拟社会互动与商业模式内容创新的共演")  # two lines, one heading
    assert doc.title == texts[title]
    authors = next(k for k, t in enumerate(texts) if t.startswith("罗兴武"))
    abstract = next(k for k, t in enumerate(texts) if t.startswith("摘要："))
    assert title < authors < abstract
    assert any(t.startswith("一、引言") and b.heading for t, b in zip(texts, doc.blocks))
    # Digits set in another font on the same baseline stay in their line.
    assert any("第十四个五年规划和2035年远景目标纲要" in t for t in texts)


def test_table_rows_name_their_row_and_column_headers() -> None:
    bond, _ = read("zh_bond_prospectus_tables.pdf")
    row = next(b.text for b in bond.blocks if "兴业银行盐城分行" in b.text)
    assert row.startswith("表7-2：截至2023年3月末发行人授信及使用情况 | 兴业银行盐城分行 | ")
    assert "授信总额: 302,600.00" in row and "已使用情况: 110,600.00" in row and "剩余额度: 192,000.00" in row
    wrapped = next(b.text for b in bond.blocks if "年份: 2023" in b.text)
    assert "评级机构: 中诚信国际信用评级有限责任公司、联合资信评估有限公司" in wrapped  # a cell of five lines, joined
    nics, _ = read("en_nics_background_checks_2015-11.pdf")
    # A row too wide for one passage is two texts, each led by the caption and the row's label.
    first, rest = [b.text for b in nics.blocks if "| Illinois |" in b.text]
    assert first.startswith("NICS Firearm Background Checks November - 2015 | Illinois | Permit: 87,190; ")
    assert rest.startswith("NICS Firearm Background Checks November - 2015 | Illinois | ")
    assert all(len(t) <= ROW_CHARS and t.endswith(".") for t in (first, rest))
    # A group header over three columns names each of them, with the word set over each column.
    assert "Pre-Pawn Handgun: 0; Pre-Pawn Long Gun: 0" in first + rest and "Totals: 129,861." in rest


def test_numbered_lines_across_pages_and_the_title() -> None:
    doc, problems = read("zh_classical_poems.pdf")
    assert not problems
    assert doc.title == "zh classical poems"  # no metadata title, no heading: the file's name
    poem = next(b for b in doc.blocks if b.text.startswith("10、"))
    assert poem.text == "10、独怜幽草涧边生，上有黄鹂深树鸣。春潮带雨晚来急，野渡无人舟自横。——韦应物《滁州西涧》"
    assert poem.page == 2


def test_without_ocr_a_page_that_is_only_an_image_is_reported(monkeypatch) -> None:
    monkeypatch.setattr("qa.ingest.readers.ocr.available", lambda: False)
    doc, problems = _read_now("en_federal_register_2020-17221.pdf")
    assert tuple(where for where, _ in problems) == ("en_federal_register_2020-17221.pdf:page 8",)
    assert "OCR is not installed" in problems[0][1]
    assert 8 not in {b.page for b in doc.blocks}


def test_without_ocr_a_scanned_pdf_is_skipped_as_one_file(monkeypatch) -> None:
    monkeypatch.setattr("qa.ingest.readers.ocr.available", lambda: False)
    name = "zh_scanned_book_small_ocr.pdf"
    problems: list[tuple[str, str]] = []
    with pytest.raises(Skip, match=r"^a scanned PDF with no text layer; .*OCR is not installed"):
        PdfReader().read(name, document(name), lambda where, why: problems.append((where, why)))
    assert problems == []  # its eight pages are not reported one by one besides
