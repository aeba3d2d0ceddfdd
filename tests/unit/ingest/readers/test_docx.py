"""The Word reader: headings, paragraphs, lists and tables in body order, on real .docx files.

The shared documents answer their questions from one block each; the small documents are
written here with python-docx (raw XML where python-docx has no API: content controls, tracked
changes, outline levels), the way Word stores them.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from qa.ingest.corpus import read_corpus
from qa.ingest.readers import Skip
from qa.ingest.readers.docx import DocxReader
from tests.unit.ingest.readers.real_documents import (
    assert_offsets,
    holding_blocks,
    question_params,
    read_shared,
    saved,
)


def read(data: bytes, rel: str = "doc.docx") -> Any:
    problems: list[tuple[str, str]] = []
    [doc] = DocxReader().read(rel, data, lambda where, why: problems.append((where, why)))
    assert not problems
    assert_offsets(doc.blocks)
    assert all(block.page is None for block in doc.blocks)  # Word has no fixed pages
    return doc


def outline(style: Any, level: int) -> None:
    element = OxmlElement("w:outlineLvl")
    element.set(qn("w:val"), str(level))
    style.element.get_or_add_pPr().append(element)


@pytest.mark.parametrize("question", question_params(".docx"))
def test_each_answer_of_a_real_document_lies_in_one_block(question: dict) -> None:
    [doc] = read_shared(question["file"])
    holding = holding_blocks(doc, question)
    assert holding[0].page == question["page"]
    assert_offsets(doc.blocks)


def test_a_chinese_standard_is_titled_by_its_name_not_its_template_or_contents() -> None:
    [doc] = read_shared("zh_nuclear_psr_part1.docx")
    # Its core title is the template's 标准名称; its first headings are 目次 and 前言.
    assert doc.title == "核电厂定期安全评价 第1部分：通用要求"
    assert ("前言", 1) in [(b.text, b.heading) for b in doc.blocks]
    assert not any("\t" in b.text or b.text.endswith("II") for b in doc.blocks if b.heading)  # no contents lines


def test_headings_paragraphs_lists_and_tables_in_body_order() -> None:
    document = docx.Document()
    document.add_paragraph("Annual report", style="Title")
    document.add_heading("Staff", level=1)
    document.add_paragraph("We hired people this year.")
    document.add_paragraph("First item", style="List Bullet")
    document.add_paragraph("Second item", style="List Number")
    columns = document.add_table(rows=2, cols=2)
    for cell, text in zip(columns._cells, ["学历", "人数", "本科", "12"]):
        cell.text = text
    document.add_heading("Money", level=2)
    labelled = document.add_table(rows=3, cols=3)
    for cell, text in zip(labelled._cells, ["", "2023", "2024", "Revenue", "1,234", "1,500", "Cost", "800", "900"]):
        cell.text = text
    document.add_paragraph("Closing words.")

    doc = read(saved(document), "annual_report.docx")

    assert [(b.text, b.heading) for b in doc.blocks] == [
        ("Annual report", 1),
        ("Staff", 1),
        ("We hired people this year.", 0),
        ("First item", 0),
        ("Second item", 0),
        ("学历: 本科; 人数: 12.", 0),
        ("Money", 2),
        ("Revenue | 2023: 1,234; 2024: 1,500.", 0),
        ("Cost | 2023: 800; 2024: 900.", 0),
        ("Closing words.", 0),
    ]
    assert doc.title == "Annual report"
    assert doc.kind == "docx"


def test_a_group_header_names_the_columns_under_it() -> None:
    document = docx.Document()
    table = document.add_table(rows=3, cols=3)
    table.cell(0, 1).merge(table.cell(0, 2))
    table.cell(0, 0).text, table.cell(0, 1).text = "Region", "2023"
    for cell, text in zip(table.rows[1].cells, ["", "H1", "H2"]):
        cell.text = text
    for cell, text in zip(table.rows[2].cells, ["North", "5", "7"]):
        cell.text = text

    doc = read(saved(document))

    assert [b.text for b in doc.blocks] == ["Region: North; 2023 H1: 5; 2023 H2: 7."]


def test_chinese_style_names_and_outline_levels_mark_headings() -> None:
    document = docx.Document()
    styles = document.styles
    styles.add_style("标题 1", WD_STYLE_TYPE.PARAGRAPH)
    chapter = styles.add_style("章标题", WD_STYLE_TYPE.PARAGRAPH)
    outline(chapter, 1)  # outline level 1 (0-based) is a second-level heading
    clause = styles.add_style("条标题", WD_STYLE_TYPE.PARAGRAPH)
    clause.base_style = chapter  # no level of its own: its base style's
    body = styles.add_style("正文段", WD_STYLE_TYPE.PARAGRAPH)
    outline(body, 9)  # body text
    document.core_properties.title = "标准名称"  # a template's placeholder, nowhere in the text
    document.add_paragraph("前\u3000\u3000言", style="标题 1")
    document.add_paragraph("本部分由中国核电发展中心归口。", style="正文段")
    document.add_paragraph("核电厂定期安全评价", style="标题 1")
    document.add_paragraph("范围", style="章标题")
    document.add_paragraph("适用范围说明", style="条标题")
    document.add_paragraph("本部分适用于核电厂。")

    doc = read(saved(document))

    assert [(b.text, b.heading) for b in doc.blocks] == [
        ("前言", 1),  # the wide spaces that pad a CJK heading are dropped
        ("本部分由中国核电发展中心归口。", 0),
        ("核电厂定期安全评价", 1),
        ("范围", 2),
        ("适用范围说明", 2),
        ("本部分适用于核电厂。", 0),
    ]
    assert doc.title == "核电厂定期安全评价"  # front matter (前言) does not title a document


def test_the_core_title_is_used_when_the_text_bears_it_out() -> None:
    document = docx.Document()
    document.core_properties.title = "Quarterly plan"
    document.add_paragraph("Quarterly plan")
    document.add_heading("Goals", level=1)
    document.add_paragraph("Ship the reader.")
    assert read(saved(document)).title == "Quarterly plan"

    plain = docx.Document()
    plain.add_paragraph("Only a paragraph.")
    assert read(saved(plain), "team_notes.docx").title == "team notes"


def test_content_controls_and_tracked_changes_read_as_shown() -> None:
    document = docx.Document()
    wrapped = document.add_paragraph("Inside a content control.")
    sdt, content = OxmlElement("w:sdt"), OxmlElement("w:sdtContent")
    wrapped._p.addprevious(sdt)
    sdt.append(content)
    content.append(wrapped._p)
    edited = document.add_paragraph("Kept ")
    for tag, text_tag, text in (("w:ins", "w:t", "inserted"), ("w:del", "w:delText", "removed")):
        change, run, run_text = OxmlElement(tag), OxmlElement("w:r"), OxmlElement(text_tag)
        change.set(qn("w:id"), "1")
        change.set(qn("w:author"), "A")
        run_text.text = text
        run.append(run_text)
        change.append(run)
        edited._p.append(change)

    doc = read(saved(document))

    assert [b.text for b in doc.blocks] == ["Inside a content control.", "Kept inserted"]


def test_unreadable_word_files_are_skipped_with_the_reason(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("Some text.")
    good = saved(document)
    broken_xml = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(broken_xml, "w") as target:
        for item in source.infolist():
            body = b"<w:document><w:body>" if item.filename == "word/document.xml" else source.read(item)
            target.writestr(item, body)
    (tmp_path / "renamed.docx").write_text("plain text saved with a Word ending", encoding="utf-8")
    (tmp_path / "truncated.docx").write_bytes(good[: len(good) // 2])
    (tmp_path / "broken_xml.docx").write_bytes(broken_xml.getvalue())
    (tmp_path / "fine.docx").write_bytes(good)

    report = read_corpus(tmp_path)

    why = dict(line.split(": ", 1) for line in report.skipped)
    assert "is not a docx file" in why["renamed.docx"]
    assert "damaged" in why["truncated.docx"]
    assert "not valid XML" in why["broken_xml.docx"]
    assert [d.path for d in report.documents] == ["fine.docx"]
    with pytest.raises(Skip):
        DocxReader().read("x.docx", good[:100], lambda where, why: None)
