"""Text lines of a PDF page from its glyphs: grouped by baseline, spaced by gaps, each character boxed.

A PDF draws glyphs, not words or lines: a line is the glyphs that share a baseline and lie close
together (a wide gap is a column gutter or a table gap, so it starts another line), and a space
is a gap wider than letters leave. Everything here keeps one box per code point, None for the
characters it inserts, so a block's text can always be pointed at on the page.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from qa.ingest.documents import Box
from qa.ingest.readers.pdf_glyphs import FULL_WIDTH, Glyph, Run, drop_leaders, join_runs
from qa.ingest.readers.pdf_gutters import Gutter, gutters
from qa.text import is_cjk

# Run and join_runs live in pdf_glyphs; the OCR layout (ocr_layout.py) takes them from here with the lines.
__all__ = ["Glyph", "Line", "Run", "build_lines", "join_runs"]

LINE_REACH = 1.5  # ems: a wider horizontal gap on one baseline is a gutter or a table gap, not a word space
_MARK_GLYPHS = 3  # a superscript or subscript run this short is a mark on its line, not a line
_SPACE_LATIN = 0.15  # ems: letters of a word touch; a word space is about 0.25 em
_SPACE_CJK = 1.0  # ems: Chinese is not spaced; a gap this wide is layout (a name set in three cells)


@dataclass
class Line:
    run: Run
    x0: float
    top: float
    x1: float
    bottom: float
    baseline: float
    size: float  # the size most of its characters have
    bold: bool  # (nearly) all of it bold
    mixed: bool  # more than one size or weight: a run-in head ("DATES: The FAA must..."), a note marker
    head: tuple[float, bool]  # size and weight of its first characters
    tail: tuple[float, bool]  # and of its last: a paragraph goes on in the type its line ended in

    @property
    def box(self) -> Box:
        return (self.x0, self.top, self.x1, self.bottom)


def build_lines(glyphs: Iterable[Glyph]) -> list[Line]:
    """Group glyphs into lines, top to bottom; whitespace glyphs are dropped (spaces come from gaps)."""
    inked = [g for g in glyphs if g.text.strip()]
    bands: list[list[Glyph]] = []
    for g in sorted(inked, key=lambda g: g.baseline):
        if bands and g.baseline - bands[-1][0].baseline <= _baseline_tolerance(min(bands[-1][0].size, g.size)):
            bands[-1].append(g)
        else:
            bands.append([g])
    for band in bands:
        band.sort(key=lambda g: g.x0)
    columns = gutters(inked, bands)
    pieces = [piece for band in bands for piece in _split(band, columns)]
    lines = [_line(members) for members in _attach_marks(pieces)]
    return sorted(lines, key=lambda line: (line.top, line.x0))


def _baseline_tolerance(size: float) -> float:
    return max(1.0, 0.25 * size)


def _split(band: list[Glyph], gutters: list[Gutter]) -> list[list[Glyph]]:
    """One baseline's glyphs (left to right), cut at a column gutter or a gap too wide for a word space."""
    out: list[list[Glyph]] = []
    members: list[Glyph] = []
    right = 0.0
    base = band[0].baseline
    for g in band:
        gap = g.x0 - right
        across = gap > 0.5 and any(
            right <= g1 + 0.5 and g.x0 >= g1 - 1.0 and top <= base <= bottom for _, g1, top, bottom in gutters
        )
        if members and (across or gap > LINE_REACH * min(g.size, members[-1].size)):
            out.append(members)
            members = []
        members.append(g)
        right = g.x1 if len(members) == 1 else max(right, g.x1)
    if members:
        out.append(members)
    return out


def _attach_marks(pieces: list[list[Glyph]]) -> list[list[Glyph]]:
    """Put superscripts and subscripts (a footnote's ①, an asterisk, m²) into the line they are set in."""
    small = [p for p in pieces if len(p) <= _MARK_GLYPHS]
    if not small:
        return pieces
    hosts = [p for p in pieces if len(p) > _MARK_GLYPHS]
    for piece in small:
        mid = sum((g.top + g.bottom) / 2 for g in piece) / len(piece)
        x0, x1 = min(g.x0 for g in piece), max(g.x1 for g in piece)
        size = max(g.size for g in piece)
        for host in hosts:  # few: marks are rare
            h = host[len(host) // 2]
            near = 0.5 * h.size
            if h.size > 1.1 * size and h.top < mid < h.bottom and host[0].x0 - near < x1 and x0 < host[-1].x1 + near:
                host.extend(piece)
                host.sort(key=lambda g: g.x0)
                piece.clear()
                break
    return [p for p in pieces if p]


def _line(glyphs: list[Glyph]) -> Line:
    run = Run()
    kept: list[Glyph] = []
    overprinted = 0
    for g in glyphs:
        prev = kept[-1] if kept else None
        if prev is not None and g.text == prev.text and abs(g.x0 - prev.x0) < 0.2 * g.size:
            overprinted += 1  # drawn twice, slightly offset: how some PDFs fake a bold face
            continue
        if prev is not None and _spaced(prev, g):
            run.add(" ", None)
        run.add(g.text, g.box)
        kept.append(g)
    run = drop_leaders(run)
    sizes = sorted(g.size for g in kept)
    bold_share = (sum(g.bold for g in kept) + overprinted) / len(kept)
    return Line(
        run,
        min(g.x0 for g in kept),
        min(g.top for g in kept),
        max(g.x1 for g in kept),
        max(g.bottom for g in kept),
        sorted(g.baseline for g in kept)[len(kept) // 2],  # a superscript may come first
        sizes[len(sizes) // 2],
        bold_share >= 0.8,
        sizes[-1] > 1.12 * sizes[0] or 0.05 < bold_share < 0.95,
        *_ends(kept, sizes[len(sizes) // 2]),
    )


def _ends(glyphs: list[Glyph], size: float) -> tuple[tuple[float, bool], tuple[float, bool]]:
    """The type a line starts and ends in, superscripts aside."""
    body = [g for g in glyphs if g.size >= 0.9 * size] or glyphs
    return (body[0].size, body[0].bold), (body[-1].size, body[-1].bold)


def _spaced(prev: Glyph, g: Glyph) -> bool:
    gap = g.x0 - prev.x1
    wide = is_cjk(prev.text[-1] + g.text[0]) or prev.text[-1] in FULL_WIDTH or g.text[0] in FULL_WIDTH
    return gap > (_SPACE_CJK if wide else _SPACE_LATIN) * min(prev.size, g.size)
