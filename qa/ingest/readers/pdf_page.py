"""What one PDF page gives through pdfplumber: its glyphs, the grids of its ruled tables, whether it has images.

This is the only module that touches the library's page object; everything after it works on
plain tuples, so a page's parsed objects can be released as soon as it is read.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from qa.ingest.documents import Box
from qa.ingest.readers.pdf_glyphs import Glyph

# Bold faces by name: "-Bold", "Black", "Heavy", "W7" (CJK weights); 黑体/SimHei is Chinese typesetting's bold.
_BOLD = re.compile(r"bold|black|heavy|demi|semibold|w[6-9]$|hei|黑", re.I)
# Kangxi radicals and compatibility ideographs look like ordinary hanzi but do not match them when searched;
# ligatures (ﬁ) hide their letters. Only these are folded: NFKC on everything would turn Chinese punctuation
# (，：) into ASCII.
_FOLD = re.compile(r"[\u2e80-\u2fdf\uf900-\ufaff\ufb00-\ufb06]")


@dataclass
class Grid:
    """A ruled table as the page draws it: rows of cell boxes (None where a spanning cell covers it)."""

    bbox: Box
    rows: list[list[Box | None]]


@dataclass
class PageContent:
    number: int  # 1-based
    width: float
    height: float
    glyphs: list[Glyph]
    grids: list[Grid]
    images: bool  # a page without glyphs but with images is a scan


def read_page(page: Any, number: int) -> PageContent:
    """Read a pdfplumber page; the caller closes it (the library raises its own errors from here)."""
    x0, top, x1, bottom = (float(v) for v in page.bbox)
    glyphs = []
    shared: dict[float, float] = {}
    for char in page.chars:
        glyph = _glyph(char, shared)
        if glyph is not None and glyph.x1 > x0 and glyph.x0 < x1 and glyph.bottom > top and glyph.top < bottom:
            glyphs.append(glyph)
    grids = []
    if page.lines or page.rects:  # tables are found from ruling; a page without any has none
        for table in page.find_tables():
            rows = [[_box(c) if c is not None else None for c in row.cells] for row in table.rows]
            grids.append(Grid(_box(table.bbox), rows))
    return PageContent(number, x1 - x0, bottom - top, glyphs, grids, bool(page.images))


def _glyph(char: dict[str, Any], shared: dict[float, float]) -> Glyph | None:
    if not char.get("upright", True):
        return None  # sideways text is margin furniture (a print slug, a journal's vertical strap)
    text = _text(str(char.get("text", "")))
    if not text:
        return None
    # Every character keeps its box in the document, so equal coordinates (a line's top and bottom, where
    # one glyph ends and the next begins) share one float: about a third less memory for a long PDF.
    x0, top, x1, bottom = (_shared(char[k], shared) for k in ("x0", "top", "x1", "bottom"))
    # The text matrix holds the baseline; a font's box need not sit on it (mixed fonts, broken descents).
    baseline = float(char["bottom"]) - (float(char["matrix"][5]) - float(char["y0"]))
    fontname = str(char.get("fontname", "")).split("+")[-1]
    return Glyph(
        text, x0, top, x1, bottom, baseline, float(char.get("size") or bottom - top), bool(_BOLD.search(fontname))
    )


def _shared(value: Any, shared: dict[float, float]) -> float:
    rounded = round(float(value), 3)
    return shared.setdefault(rounded, rounded)


def _text(raw: str) -> str:
    if raw.startswith("(cid:"):
        return ""  # a glyph the font gives no character for
    if raw == "\u00ad":
        return "-"  # a soft hyphen drawn at a line end: the line joiner undoes it like any hyphen
    text = _FOLD.sub(lambda m: unicodedata.normalize("NFKC", m.group()), raw)
    return "".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf", "Co", "Cs") or ch.isspace())


def _box(bbox: Any) -> Box:
    x0, top, x1, bottom = bbox
    return (float(x0), float(top), float(x1), float(bottom))
