"""PowerPoint (.pptx): one document a file, a section a slide, every block on its slide's page.

Each slide starts with its number and title as a heading (level 2, so passages keep the deck's
title and take the slide's as their section: "Slide 3: Results", "Slide 1 (title slide): AutoGen",
since people ask about "the table on slide 3" or "the authors on the title slide"); its shapes
follow in reading order (top to bottom, then left to right; grouped shapes in their group's
place): each text paragraph a block, table rows naming their columns, a chart's series by
category, and last the speaker notes marked as notes.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from typing import Any

from qa.ingest.documents import Document
from qa.ingest.readers.blocks import BlockList, tidy
from qa.ingest.readers.cell_text import general
from qa.ingest.readers.office_package import check_package, has_part, unreadable
from qa.ingest.readers.reader import Problems, Skip
from qa.ingest.readers.table_rows import Grid, row_texts, table_rows
from qa.ingest.readers.text import stem_title

_MAIN_PART = re.compile(r"ppt/presentation\.xml")
SLIDE_HEADING = 2
_PLACEHOLDER_TITLES = {"", "powerpoint presentation", "powerpoint 演示文稿", "演示文稿", "presentation"}


class PptxReader:
    name = "pptx"
    suffixes = frozenset({".pptx"})
    binary = True

    def sniff(self, data: bytes) -> bool:
        return has_part(data, _MAIN_PART, "ppt/")

    def read(self, rel: str, data: bytes, problems: Problems) -> list[Document]:
        check_package(data, "PowerPoint")
        try:
            from pptx import Presentation

            deck = Presentation(io.BytesIO(data))
            slides = list(deck.slides)
            core_title = deck.core_properties.title or ""
        except Exception as exc:  # python-pptx and lxml raise many kinds; none may stop the corpus
            raise unreadable(exc, "PowerPoint") from None
        blocks = BlockList()
        first_title = ""
        for number, slide in enumerate(slides, 1):
            try:
                title, texts = _slide_texts(slide, number)
            except Exception as exc:
                problems(f"{rel}:slide {number}", f"the slide could not be read ({type(exc).__name__}: {exc})")
                continue
            for text, heading in texts:
                blocks.add(text, heading=heading, page=number)
            first_title = first_title or title
        if not blocks.blocks:
            raise Skip("the presentation has no text")
        core = tidy(core_title)
        title = core if core.lower() not in _PLACEHOLDER_TITLES else first_title or stem_title(rel)
        return [Document(rel, rel, title, blocks.blocks, kind=self.name)]


def _slide_texts(slide: Any, number: int) -> tuple[str, list[tuple[str, int]]]:
    """A slide's title ("" when it has none) and its blocks' (text, heading level)."""
    title_shape = slide.shapes.title
    title = tidy(title_shape.text_frame.text, heading=True) if title_shape is not None else ""
    # An untitled slide still opens a section, so its text is not filed under the slide before.
    texts = [(slide_heading(number, title, _is_title_slide(slide)), SLIDE_HEADING)]
    skip = title_shape.shape_id if title_shape is not None else None
    texts.extend((text, 0) for text in _shape_texts(slide.shapes, skip))
    notes = _notes(slide)
    if notes:
        from qa.text.script import is_mostly_cjk

        texts.append((("备注：" if is_mostly_cjk(notes) else "Notes: ") + notes, 0))
    return title, texts


def slide_heading(number: int, title: str, title_slide: bool = False) -> str:
    """The section a slide opens: its number, whether it is the deck's title slide, its title."""
    name = f"Slide {number} (title slide)" if title_slide else f"Slide {number}"
    return f"{name}: {title}" if title else name


def _is_title_slide(slide: Any) -> bool:
    """A slide laid out with a centred title (the Title Slide layout), where a deck names its authors."""
    from pptx.enum.shapes import PP_PLACEHOLDER

    return any(p.placeholder_format.type == PP_PLACEHOLDER.CENTER_TITLE for p in slide.placeholders)


def _shape_texts(shapes: Iterable[Any], skip: int | None) -> Iterator[str]:
    from pptx.shapes.group import GroupShape

    for shape in sorted(shapes, key=lambda s: (s.top or 0, s.left or 0)):
        if shape.shape_id == skip or _is_furniture(shape):
            continue
        if isinstance(shape, GroupShape):
            yield from _shape_texts(shape.shapes, skip)
        elif getattr(shape, "has_table", False) and shape.has_table:
            yield from table_rows(_grid(shape.table))
        elif getattr(shape, "has_chart", False) and shape.has_chart:
            yield from _chart_texts(shape.chart)
        elif shape.has_text_frame:
            for paragraph in shape.text_frame.paragraphs:
                text = tidy(paragraph.text)
                if text:
                    yield text


def _is_furniture(shape: Any) -> bool:
    """Slide numbers, dates and footers: the same on every slide, no content."""
    if not shape.is_placeholder:
        return False
    from pptx.enum.shapes import PP_PLACEHOLDER

    return shape.placeholder_format.type in (
        PP_PLACEHOLDER.SLIDE_NUMBER,
        PP_PLACEHOLDER.DATE,
        PP_PLACEHOLDER.FOOTER,
        PP_PLACEHOLDER.HEADER,
    )


def _grid(table: Any) -> Grid:
    grid: Grid = []
    for row in table.rows:
        # A cell that a merge covers holds no text of its own: None, which a header row fills from the left.
        grid.append([None if cell.is_spanned else tidy(cell.text) for cell in row.cells])
    return grid


def _chart_texts(chart: Any) -> Iterator[str]:
    """The chart's title, then a row per series: `series | category: value; ...`."""
    if chart.has_title and chart.chart_title.has_text_frame:
        title = tidy(chart.chart_title.text_frame.text)
        if title:
            yield title
    for plot in chart.plots:
        categories = [str(c) for c in plot.categories]
        for series in plot.series:
            values = ["" if v is None else general(v) for v in series.values]
            yield from row_texts(["", *categories], [tidy(series.name or ""), *values])


def _notes(slide: Any) -> str:
    if not slide.has_notes_slide:
        return ""
    frame = slide.notes_slide.notes_text_frame
    if frame is None:
        return ""
    return "\n".join(text for text in (tidy(p.text) for p in frame.paragraphs) if text)
