"""The PowerPoint reader: a section a slide, shapes in reading order, tables, groups and notes, each on its slide.

The shared deck answers its questions from one block on the question's slide; the small decks
are written here with python-pptx.
"""

from __future__ import annotations

from typing import Any

import pptx
import pytest
from pptx.util import Inches

from qa.ingest.readers.pptx import PptxReader
from tests.unit.ingest.readers.real_documents import (
    assert_offsets,
    holding_blocks,
    question_params,
    read_shared,
    saved,
)


def read(data: bytes, rel: str = "deck.pptx") -> Any:
    problems: list[tuple[str, str]] = []
    [doc] = PptxReader().read(rel, data, lambda where, why: problems.append((where, why)))
    assert not problems
    assert_offsets(doc.blocks)
    return doc


def text_box(slide: Any, text: str, top: float, left: float = 1.0) -> Any:
    box = slide.shapes.add_textbox(Inches(left), Inches(top), Inches(3), Inches(0.5))
    box.text_frame.text = text
    return box


@pytest.mark.parametrize("question", question_params(".pptx"))
def test_each_answer_of_a_real_deck_lies_in_one_block_on_its_slide(question: dict) -> None:
    [doc] = read_shared(question["file"])
    holding = holding_blocks(doc, question)
    assert holding[0].page == question["page"]
    if question["kind"] == "cell":  # "column ColD of the row that starts with 7": the row names its column
        assert "ColD" in holding[0].text
    assert_offsets(doc.blocks)


def test_slides_are_sections_read_top_to_bottom_with_tables_groups_and_notes() -> None:
    deck = pptx.Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[0])
    first.shapes.title.text = "Launch review"
    first.placeholders[1].text = "Team A"
    second = deck.slides.add_slide(deck.slide_layouts[5])  # title only
    second.shapes.title.text = "Numbers"
    text_box(second, "Below the table", top=6)  # added first, shown last
    text_box(second, "Right of the intro", top=1.5, left=5)
    text_box(second, "Intro", top=1.5, left=1)
    table = second.shapes.add_table(3, 3, Inches(1), Inches(3), Inches(6), Inches(1.5)).table
    for r, row in enumerate([["", "2023", "2024"], ["Sales", "10", "12"], ["Costs", "7", "8"]]):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    second.notes_slide.notes_text_frame.text = "Mention the budget."
    third = deck.slides.add_slide(deck.slide_layouts[6])  # blank: no title
    group = third.shapes.add_group_shape()
    text_box(group, "Inside a group", top=1)
    third.notes_slide.notes_text_frame.text = "记得说明预算。"

    doc = read(saved(deck), "launch.pptx")

    assert [(b.text, b.heading, b.page) for b in doc.blocks] == [
        ("Slide 1 (title slide): Launch review", 2, 1),  # where a deck names its authors
        ("Team A", 0, 1),
        ("Slide 2: Numbers", 2, 2),  # people ask about "slide 2"
        ("Intro", 0, 2),
        ("Right of the intro", 0, 2),
        ("Sales | 2023: 10; 2024: 12.", 0, 2),  # a row ends a sentence: it stands alone in a passage
        ("Costs | 2023: 7; 2024: 8.", 0, 2),
        ("Below the table", 0, 2),
        ("Notes: Mention the budget.", 0, 2),
        ("Slide 3", 2, 3),  # an untitled slide still opens its own section
        ("Inside a group", 0, 3),
        ("备注：记得说明预算。", 0, 3),
    ]
    assert doc.title == "Launch review"  # no core title: the first slide's
    assert doc.kind == "pptx"


def test_a_chart_gives_its_series_by_category() -> None:
    from pptx.chart.data import CategoryChartData
    from pptx.enum.chart import XL_CHART_TYPE

    deck = pptx.Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "Growth"
    data = CategoryChartData()
    data.categories = ["Q1", "Q2"]
    data.add_series("Revenue", (1.5, 2.0))
    slide.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, Inches(1), Inches(2), Inches(6), Inches(4), data)

    doc = read(saved(deck))

    assert "Revenue | Q1: 1.5; Q2: 2." in [b.text for b in doc.blocks]
