"""Page furniture of a PDF: running headers, footers and page numbers, which are dropped from the text.

A running header repeats at the same height in the top or bottom margin of most pages, with at
most its numbers changing ("Federal Register / Vol. 85, No. 150 ... 47698", "第 3 页"); the left and
right pages of a book may set it at different sides, so only the height is compared. A lone page
number ("251", "-24-", "Page 3 of 9") at a page's edge is dropped even on a one-page document.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from qa.ingest.readers.pdf_lines import Line

MARGIN = 0.15  # of the page's height: running headers and footers sit in this band at the top or bottom
_SAME_HEIGHT = 4.0  # points: one header on different pages
_PAGE_NUMBER = re.compile(
    r"^[-–—－\s]*(?:page\s*)?\d{1,5}(?:\s*(?:/|of)\s*\d{1,5})?[-–—－\s]*$"
    r"|^第\s*\d+\s*页(?:\s*[,，/]?\s*共\s*\d+\s*页)?$"
    r"|^[-–—\s]*(?=[ivxlc])c{0,3}(?:xc|xl|l?x{0,3})(?:ix|iv|v?i{0,3})[-–—\s]*$",  # front matter: iv, xii
    re.I,
)


@dataclass
class PageLines:
    height: float
    lines: list[Line]


def drop_furniture(pages: list[PageLines]) -> list[list[Line]]:
    """Each page's lines without the running headers, footers and page numbers."""
    furniture = _repeated(pages)
    out = []
    for n, page in enumerate(pages):
        kept = [line for k, line in enumerate(page.lines) if (n, k) not in furniture]
        out.append([line for line in kept if not _page_number(line, kept, page.height)])
    return out


def _in_margin(line: Line, height: float) -> bool:
    return line.bottom < MARGIN * height or line.top > (1 - MARGIN) * height


def _key(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text)).lower()


def _repeated(pages: list[PageLines]) -> set[tuple[int, int]]:
    """(page, line) of every line repeated, numbers aside, at one height on at least half the pages."""
    needed = max(2, (len(pages) + 1) // 2)
    if len(pages) < needed:
        return set()
    seen: dict[str, list[tuple[float, int, int]]] = defaultdict(list)
    for n, page in enumerate(pages):
        for k, line in enumerate(page.lines):
            if _in_margin(line, page.height):
                seen[_key(line.run.text)].append((line.top, n, k))
    out: set[tuple[int, int]] = set()
    for places in seen.values():
        if len({n for _, n, _ in places}) < needed:
            continue
        places.sort()
        group: list[tuple[float, int, int]] = []
        for place in [*places, None]:
            if place is not None and group and place[0] - group[0][0] <= _SAME_HEIGHT:
                group.append(place)
                continue
            if len({n for _, n, _ in group}) >= needed:
                out.update((n, k) for _, n, k in group)
            group = [place] if place is not None else []
    return out


def _page_number(line: Line, lines: list[Line], height: float) -> bool:
    if not _in_margin(line, height) or not _PAGE_NUMBER.match(line.run.text):
        return False
    if line.top > height / 2:  # at the foot: nothing below it
        return not any(other.top > line.bottom for other in lines)
    return not any(other.bottom < line.top for other in lines)
