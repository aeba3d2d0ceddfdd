"""Word (.docx): paragraphs, headings and tables in the body's order, through python-docx's parsed XML.

The body is walked directly rather than through python-docx's paragraph text: that text misses
runs inside tracked insertions and content controls (Word wraps cover pages and tables of contents
in them) and text boxes. Headings are the paragraphs whose style is a heading by name (Heading 1,
标题 1, Title) or by outline level, which is how localised and custom styles (章标题) mark them.
Table rows name their columns (`table_rows`). Word has no fixed pages: every block's page is None.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from qa.ingest.documents import Document
from qa.ingest.readers.blocks import BlockList, tidy
from qa.ingest.readers.office_package import check_package, has_part, unreadable
from qa.ingest.readers.reader import Problems, Skip
from qa.ingest.readers.table_rows import Grid, table_rows
from qa.ingest.readers.text import stem_title

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_MAIN_PART = re.compile(r"word/document\d*\.xml")
_HEADING_NAME = re.compile(r"(?:heading|标题|見出し)\s*([1-9])", re.I)
_TITLE_NAMES = {"title", "标题", "標題", "表題"}
_TOC_STYLE = re.compile(r"toc\s*\d|目录\s*\d", re.I)
# Front matter that Word documents (Chinese standards above all) head before their real title.
_FRONT_MATTER = {"目次", "目录", "目錄", "前言", "引言", "摘要", "contents", "tableofcontents", "foreword", "preface"}
_PLACEHOLDER_TITLES = {"", "title", "标题", "标准名称", "document", "文档"}
# Parts of a run that are no text on the page: deleted or moved-away text, field codes, properties.
_NOT_TEXT = {_W + t for t in ("pPr", "rPr", "del", "moveFrom", "delText", "instrText", "txbxContent")} | {_MC_FALLBACK}


class DocxReader:
    name = "docx"
    suffixes = frozenset({".docx"})
    binary = True

    def sniff(self, data: bytes) -> bool:
        return has_part(data, _MAIN_PART, "word/")

    def read(self, rel: str, data: bytes, problems: Problems) -> list[Document]:
        check_package(data, "Word")
        try:
            from docx.package import Package

            # The package, not docx.Document(): that refuses macro-enabled files and templates (.docm, .dotx).
            document = Package.open(io.BytesIO(data)).main_document_part.document
            styles = _Styles(document.part.styles.element)
            blocks, headings = _read_body(document.element.body, styles)
            core_title = document.core_properties.title or ""
        except Exception as exc:  # python-docx and lxml raise many kinds; none may stop the corpus
            raise unreadable(exc, "Word") from None
        if not blocks.blocks:
            raise Skip("the document has no text")
        title = _title(core_title, headings, blocks, rel)
        return [Document(rel, rel, title, blocks.blocks, kind=self.name)]


@dataclass
class _Style:
    name: str
    based_on: str | None
    outline: int | None  # w:outlineLvl, 0-based; 9 is body text


class _Styles:
    """Heading levels of the document's paragraph styles, resolved through the styles they are based on."""

    def __init__(self, element: Any) -> None:
        self._styles: dict[str, _Style] = {}
        self.default: str | None = None
        for style in element.iter(_W + "style"):
            if style.get(_W + "type") != "paragraph":
                continue
            sid = style.get(_W + "styleId") or ""
            self._styles[sid] = _Style(_val(style.find(_W + "name")) or sid, _val(style.find(_W + "basedOn")), None)
            outline = style.find(f"{_W}pPr/{_W}outlineLvl")
            if outline is not None:
                self._styles[sid].outline = _int(_val(outline))
            if style.get(_W + "default") in ("1", "true"):
                self.default = sid

    def level(self, style_id: str | None) -> int:
        """1-6 for a heading style, 0 for body text."""
        seen: set[str] = set()
        sid = style_id or self.default
        while sid and sid in self._styles and sid not in seen:
            seen.add(sid)
            style = self._styles[sid]
            name = style.name.strip().lower()
            match = _HEADING_NAME.fullmatch(name)
            if match:
                return min(int(match.group(1)), 6)
            if name in _TITLE_NAMES:
                return 1
            if style.outline is not None:
                return _outline_level(style.outline)
            sid = style.based_on
        return 0

    def is_toc(self, style_id: str | None) -> bool:
        style = self._styles.get(style_id or "")
        return style is not None and bool(_TOC_STYLE.fullmatch(style.name.strip()))


def _read_body(body: Any, styles: _Styles) -> tuple[BlockList, list[str]]:
    blocks = BlockList()
    headings: list[str] = []
    for element in _block_items(body):
        if element.tag == _W + "tbl":
            for text in _table_texts(element):
                blocks.add(text)
            continue
        style_id = _val(element.find(f"{_W}pPr/{_W}pStyle"))
        if styles.is_toc(style_id):
            continue  # table-of-contents lines repeat the headings with page numbers
        outline = element.find(f"{_W}pPr/{_W}outlineLvl")
        level = _outline_level(_int(_val(outline))) if outline is not None else styles.level(style_id)
        text = tidy(paragraph_text(element), heading=bool(level))
        if text and level:
            headings.append(text)
        blocks.add(text, heading=level)
        for box in _text_boxes(element):
            sub, _ = _read_body(box, styles)
            for block in sub.blocks:
                blocks.add(block.text, heading=block.heading)
    return blocks, headings


def _block_items(parent: Any) -> Iterator[Any]:
    """Paragraphs and tables in reading order, through content controls and custom XML that wrap them."""
    for child in parent:
        if child.tag in (_W + "p", _W + "tbl"):
            yield child
        elif child.tag == _W + "sdt":
            content = child.find(_W + "sdtContent")
            if content is not None:
                yield from _block_items(content)
        elif child.tag == _W + "customXml":
            yield from _block_items(child)


def paragraph_text(paragraph: Any) -> str:
    """The text a paragraph shows: runs, tabs and breaks, inserted text included, deleted text and text boxes not."""
    parts: list[str] = []
    _collect(paragraph, parts)
    return "".join(parts)


def _collect(element: Any, parts: list[str]) -> None:
    for child in element:
        tag = child.tag
        if tag == _W + "t":
            parts.append(child.text or "")
        elif tag in (_W + "tab", _W + "ptab"):
            parts.append("\t")
        elif tag in (_W + "br", _W + "cr"):
            parts.append("\n")
        elif tag == _W + "noBreakHyphen":
            parts.append("-")
        elif tag not in _NOT_TEXT and isinstance(tag, str):
            _collect(child, parts)


def _text_boxes(paragraph: Any) -> Iterator[Any]:
    """Text boxes anchored in a paragraph (the outermost ones; Word's VML fallback copies skipped)."""
    for box in paragraph.iter(_W + "txbxContent"):
        ancestor = box.getparent()
        while ancestor is not None and ancestor is not paragraph:
            if ancestor.tag in (_W + "txbxContent", _MC_FALLBACK):
                break
            ancestor = ancestor.getparent()
        else:
            yield box


def _table_texts(table: Any) -> list[str]:
    grid = _grid(table)
    filled = [[cell for cell in row if cell] for row in grid]
    if len(grid) < 2 or max(len(row) for row in filled) < 2:
        # A one-row or one-column table lays out text (a cover page's boxes), it does not tabulate it.
        return [cell for row in filled for cell in row if cell]
    return table_rows(grid)


def _grid(table: Any) -> Grid:
    """Cell texts by grid column; None where a cell merged across columns covers it; a cell merged
    down repeats the text of the cell it continues (a row label spanning rows labels each)."""
    grid: Grid = []
    for tr in table.iter(_W + "tr"):
        if _enclosing_table(tr) is not table:
            continue
        row: list[str | None] = [""] * _int(_val(tr.find(f"{_W}trPr/{_W}gridBefore")) or "0")
        for tc in tr.iter(_W + "tc"):
            if _enclosing_row(tc) is not tr:
                continue  # a cell of a table nested in this row's cells
            span = _int(_val(tc.find(f"{_W}tcPr/{_W}gridSpan")) or "1") or 1
            merge = tc.find(f"{_W}tcPr/{_W}vMerge")
            column = len(row)
            if merge is not None and _val(merge) in (None, "continue") and grid and column < len(grid[-1]):
                text = grid[-1][column] or ""
            else:
                text = _cell_text(tc)
            row.append(text)
            row.extend([None] * (span - 1))
        grid.append(row)
    return grid


def _cell_text(tc: Any) -> str:
    parts = []
    for item in _block_items(tc):
        if item.tag == _W + "p":
            parts.append(tidy(paragraph_text(item)))
        else:  # a table inside a cell: its cells' text, in order
            parts.extend(cell for row in _grid(item) for cell in row if cell)
    return tidy("\n".join(p for p in parts if p))


def _enclosing_table(element: Any) -> Any:
    parent = element.getparent()
    while parent is not None and parent.tag != _W + "tbl":
        parent = parent.getparent()
    return parent


def _enclosing_row(element: Any) -> Any:
    parent = element.getparent()
    while parent is not None and parent.tag != _W + "tr":
        parent = parent.getparent()
    return parent


def _title(core_title: str, headings: list[str], blocks: BlockList, rel: str) -> str:
    """The document's own title when its text bears it out, else its first real heading, else the file name."""
    core = tidy(core_title)
    squeezed = re.sub(r"\s+", "", core)
    placeholder = squeezed.lower() in _PLACEHOLDER_TITLES
    if not placeholder and any(squeezed in re.sub(r"\s+", "", b.text) for b in blocks.blocks[:50]):
        return core
    for heading in headings:
        if re.sub(r"\s+", "", heading).lower() not in _FRONT_MATTER:
            return heading
    return core if not placeholder else stem_title(rel)


def _outline_level(outline: int) -> int:
    return 0 if outline >= 9 else min(outline + 1, 6)


def _val(element: Any) -> str | None:
    return None if element is None else element.get(_W + "val")


def _int(text: str | None) -> int:
    try:
        return int(text or "")
    except ValueError:
        return 0
