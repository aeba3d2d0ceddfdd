"""OCR of page images: the real engine on the shared scanned book and on text drawn here, and the
layout rules (reading order, paragraphs) on lines placed by hand.

The engine is the optional `ocr` extra; `make setup` installs it, so these run in CI. The layout
tests need no engine: they check the rules themselves on lines whose boxes are written out.
"""

from __future__ import annotations

import difflib
from functools import cache
from typing import Any

import pytest

from qa.ingest.documents import Block, Box
from qa.ingest.readers import ocr
from qa.ingest.readers.ocr_layout import OcrLine, paragraphs, reading_order
from qa.text.script import to_simplified
from tests.unit.ingest.readers.drawn_text import SIZE, Drawn, cjk_font, draw, latin_font
from tests.unit.ingest.readers.real_documents import document, question_params, squeeze

needs_ocr = pytest.mark.skipif(
    not ocr.available(), reason="OCR is not installed: pip install 'ragqa[ocr]' (make setup does)"
)
BOOK = "zh_scanned_book_small_ocr.pdf"
# The detector's line box pads the ink by about a tenth of the text height above and below (as a
# font's ascent and descent do for a PDF's characters); a character box may reach that far past the ink.
PAD = 0.25 * SIZE


@cache
def book_page(number: int) -> tuple[list[Block], tuple[float, float]]:
    """One page of the scanned book read as the PDF reader will: rendered with pypdfium2, then OCR'd."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(document(BOOK))
    page = pdf[number - 1]
    width, height = page.get_size()
    scale = ocr.render_scale(width, height)
    image = page.render(scale=scale).to_pil()
    return ocr.ocr_page(image, number, scale), (width, height)


def scan_questions() -> list[Any]:
    return [p for p in question_params(".pdf") if p.values[0] is None or p.values[0]["kind"] == "scan"]


@needs_ocr
@pytest.mark.parametrize("question", scan_questions())
def test_scanned_book_answers_are_in_the_ocr_text_of_their_page(question: dict[str, Any]) -> None:
    blocks, (width, height) = book_page(question["page"])

    text = "\n\n".join(block.text for block in blocks)
    assert squeeze(question["answer"], question["answer"]) in squeeze(text, question["answer"])
    for block in blocks:
        assert block.page == question["page"]
        assert text[block.start : block.end] == block.text
        assert block.boxes is not None and len(block.boxes) == len(block.text)
        for box in block.boxes:
            if box is not None:  # in PDF points, on the page
                assert 0 <= box[0] <= box[2] <= width and 0 <= box[1] <= box[3] <= height


@needs_ocr
def test_scanned_book_paragraphs_break_where_the_book_does() -> None:
    blocks, _ = book_page(1)

    texts = [block.text for block in blocks]
    # "部分是由 / 于约定俗成。" wraps at a line end: Chinese lines join without a space.
    assert any(text.endswith("部分是由于约定俗成。") for text in texts)
    # The next paragraph opens with a two-character indent; the footnotes come after a wider gap.
    body = next(i for i, text in enumerate(texts) if text.startswith("交换价值首先表现为量的关系"))
    notes = [i for i, text in enumerate(texts) if text.startswith(("（3）", "（4）", "（5）", "（6）"))]
    assert len(notes) == 4 and body < min(notes)


@needs_ocr
@pytest.mark.parametrize(
    "text,font",
    [("光合作用把光能转化为化学能，释放出氧气。", cjk_font), ("The library opens at 9 am on weekdays.", latin_font)],
    ids=["chinese", "english"],
)
def test_drawn_text_is_read_back_with_each_box_on_its_character(text: str, font: Any) -> None:
    image, [drawn] = draw([(60, 70, text)], font())

    [line] = ocr.recognise(image)

    assert line.text == text
    assert_boxes_on_characters(line, drawn)


@needs_ocr
def test_wrapped_english_lines_join_with_a_space_and_boxes_come_in_points() -> None:
    image, drawn = draw(
        [(60, 40, "Photosynthesis turns light into"), (60, 100, "chemical energy in plants.")], latin_font()
    )

    [block] = ocr.ocr_page(image, 3, scale=2.0)

    assert block.text == "Photosynthesis turns light into chemical energy in plants."
    assert block.page == 3 and (block.start, block.end) == (0, len(block.text))
    assert block.boxes is not None
    first, last = block.boxes[0], block.boxes[-1]
    assert first is not None and last is not None
    # At 2 pixels a point, the first character's box is at half its drawn position.
    assert drawn[0].spans[0][0] / 2 - PAD / 2 <= first[0] <= drawn[0].spans[0][1] / 2
    assert drawn[1].bbox[1] / 2 - PAD / 2 <= last[1] <= drawn[1].bbox[3] / 2


@needs_ocr
def test_two_columns_are_read_left_column_first() -> None:
    left = ["第一栏的第一行文字内容", "第一栏的第二行文字内容", "第一栏的第三行文字结束"]
    right = ["第二栏的第一行文字内容", "第二栏的第二行文字内容", "第二栏的第三行文字结束"]
    rows = [(60, 40, "两栏排版的标题横跨整个页面宽度，下面分为左右两栏")]
    rows += [(60, 120 + 60 * i, text) for i, text in enumerate(left)]
    rows += [(760, 120 + 60 * i, text) for i, text in enumerate(right)]
    image, _ = draw(rows, cjk_font(), size=(1400, 340))

    texts = [block.text for block in ocr.ocr_page(image, 1, scale=1.0)]

    assert texts == [rows[0][2], "".join(left), "".join(right)]


@needs_ocr
def test_traditional_chinese_is_read_back() -> None:
    # PP-OCRv4's Chinese model reads Traditional only where its 6,623 characters include it
    # (圖書館 yes; 週, 軟, 颱, 繳 no); the search folds Traditional to Simplified (qa.text.script), so
    # a character read in its Simplified form (術 as 术) is still found.
    sentences = ["臺灣的學術研究機構與圖書館", "請於報名截止日前檢附相關證明文件", "經濟發展與環境保護"]
    image, _ = draw([(60, 30 + 70 * i, text) for i, text in enumerate(sentences)], cjk_font(), size=(1400, 260))

    read = [line.text for line in ocr.recognise(image)]

    assert len(read) == 3
    for got, want in zip(read, sentences):
        assert difflib.SequenceMatcher(None, to_simplified(got), to_simplified(want)).ratio() >= 0.85, (got, want)
    assert "圖書館" in read[0] and "證明文件" in read[1]  # Traditional forms come back as written


def assert_boxes_on_characters(line: OcrLine, drawn: Drawn) -> None:
    x0, top, x1, bottom = drawn.bbox
    assert len(line.boxes) == len(line.text)
    for char, box, (start, end) in zip(line.text, line.boxes, drawn.spans):
        assert box is not None
        assert x0 - PAD <= box[0] <= box[2] <= x1 + PAD and top - PAD <= box[1] <= box[3] <= bottom + PAD
        if char != " ":  # its middle lies over the character drawn there, not a neighbour
            slack = 0.3 * (end - start)
            assert start - slack <= (box[0] + box[2]) / 2 <= end + slack, (char, box, (start, end))


# The layout rules, on lines placed by hand (pixels; text 40 high, a Chinese character 40 wide).


def line(text: str, x0: float, top: float, width: float | None = None, height: float = 40) -> OcrLine:
    width = 40 * len(text) if width is None else width
    step = width / len(text)
    boxes: tuple[Box | None, ...] = tuple(
        (x0 + i * step, top, x0 + (i + 1) * step, top + height) for i in range(len(text))
    )
    return OcrLine(text, (x0, top, x0 + width, top + height), boxes)


def flows_text(flows: list[list[OcrLine]]) -> list[list[str]]:
    return [[row.text for row in flow] for flow in flows]


def test_columns_are_read_left_to_right_between_full_width_rows() -> None:
    title = line("标题" * 10, 0, 0, width=1100)
    lefts = [line(f"左{i}" * 6, 0, 70 + 60 * i, width=480) for i in range(4)]
    rights = [line(f"右{i}" * 6, 620, 70 + 60 * i, width=480) for i in range(4)]
    footer = line("页脚" * 10, 0, 330, width=1100)

    flows = reading_order([footer, *rights, title, *lefts])  # the engine's order is no order

    assert flows_text(flows) == [[title.text], [x.text for x in lefts], [x.text for x in rights], [footer.text]]


def test_columns_whose_rows_do_not_line_up_are_still_read_column_by_column() -> None:
    lefts = [line(f"左{i}" * 6, 0, 60 * i, width=480) for i in range(5)]
    rights = [line(f"右{i}" * 6, 620, 30 + 60 * i, width=480) for i in range(5)]  # half a row lower

    assert flows_text(reading_order(rights + lefts)) == [[x.text for x in lefts], [x.text for x in rights]]


def test_pieces_of_one_row_become_one_line_left_to_right() -> None:
    number, heading = line("12", 40, 2, width=40), line("第一篇商品和货币", 400, 0)

    [[row]] = reading_order([heading, number])

    assert row.text == "12 第一篇商品和货币"
    assert row.boxes[2] is None and row.boxes[3] == heading.boxes[0]
    assert row.box == (40, 0, 720, 42)


def test_paragraphs_start_at_an_indent_a_short_line_or_a_wider_gap() -> None:
    rows = [
        line("第一段的第一行文字内容写满", 80, 0, width=1000),  # indented first line
        line("第一段的第二行结束。", 0, 60, width=400),  # short: the paragraph ends here
        line("第二段没有缩进但上一行很短所以另起一段", 0, 120, width=1080),
        line("第二段继续写满这一整行文字内容", 0, 180, width=1080),
        line("第三段在一段更宽的空白之后开始", 0, 300, width=1080),
    ]

    assert [run.text for run in paragraphs(rows)] == [
        rows[0].text + rows[1].text,  # Chinese lines join without a space
        rows[2].text + rows[3].text,
        rows[4].text,
    ]


def test_english_lines_join_with_a_space_and_a_broken_word_is_mended() -> None:
    rows = [line("Photosynthesis con-", 0, 0, width=1000), line("verts light into energy", 0, 60, width=1000)]

    [run] = paragraphs(rows)

    assert run.text == "Photosynthesis converts light into energy"
    assert len(run.boxes) == len(run.text)
    assert run.boxes[len("Photosynthesis con")] == rows[1].boxes[0]  # the hyphen and its box are gone


def test_a_margin_note_does_not_make_the_body_look_indented() -> None:
    rows = [
        line("14( I) 物的有用性使物成为使用价值但这种", 0, 0, width=1100),  # a note in the margin, then text
        line("有用性不是飘忽不定的它决定于商品体的", 120, 60, width=980),
        line("属性离开了商品体就不存在因此商品体本", 120, 120, width=980),
        line("身就是使用价值", 120, 180, width=300),
    ]

    assert len(paragraphs(rows)) == 1


def test_a_short_last_line_beside_an_indented_first_line_is_not_a_column() -> None:
    rows = [
        line("前一段的最后一行写满了文字", 0, 0, width=1000),
        line("结束。", 0, 60, width=120),
        line("下一段缩进两个字开始写", 200, 120, width=880),  # a gap of 80 beside "结束。" above
        line("下一段继续写满整行文字", 0, 180, width=1000),
    ]

    [flow] = reading_order(list(reversed(rows)))

    assert [row.text for row in flow] == [row.text for row in rows]
    assert [run.text for run in paragraphs(flow)] == [rows[0].text + rows[1].text, rows[2].text + rows[3].text]
