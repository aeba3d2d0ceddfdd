"""Column gutters of a PDF page: the narrow strips that stay empty down the page between columns.

Newspaper-like columns may stand 4 points apart, less than a justified word space, so a gutter is
told by where it is rather than by how wide it is: a strip that no glyph inks on most lines, with
well-inked text on both sides, where most lines with text on both sides break.
"""

from __future__ import annotations

import itertools
import math

from qa.ingest.readers.pdf_glyphs import Glyph

# A gutter: from the last inked point of one column to the first of the next, and the baselines it runs between.
Gutter = tuple[float, float, float, float]


def _strips(glyphs: list[Glyph]) -> list[tuple[float, float]]:
    """X ranges that (nearly) no glyph inks, between well-inked columns: candidate gutters."""
    if len(glyphs) < 200:
        return []
    left = math.floor(min(g.x0 for g in glyphs))
    depth = [0] * (math.ceil(max(g.x1 for g in glyphs)) - left + 1)
    for g in glyphs:  # cover[k]: glyphs that ink all of the point from x = left + k to left + k + 1
        first, stop = math.ceil(g.x0) - left, math.floor(g.x1) - left
        if first < stop:
            depth[first] += 1
            depth[stop] -= 1
    cover = list(itertools.accumulate(depth))
    full = sorted(cover)[int(0.9 * (len(cover) - 1))]
    if full < 6:
        return []  # too few lines stacked to tell a gutter from a gap
    low = max(1, full // 10)
    out: list[tuple[float, float]] = []
    k = 1
    while k < len(cover) - 1:
        if cover[k] > low:
            k += 1
            continue
        end = k
        while end < len(cover) - 1 and cover[end] <= low:
            end += 1
        flanks = cover[max(0, k - 20) : k], cover[end : end + 20]
        if end < len(cover) - 1 and all(f and max(f) >= full // 2 for f in flanks):
            out.append((float(left + k), float(left + end)))  # from the last inked point to the next column's first
        k = end
    return out


def gutters(glyphs: list[Glyph], bands: list[list[Glyph]]) -> list[Gutter]:
    """The page's gutters (`bands`: its glyphs by baseline, left to right), each as far down as it runs.

    A line breaks at a gutter when a gap in it ends where the next column starts. A gutter is kept
    when most lines with text on both of its sides break there (word spaces that happen to line up
    do not make one). A line inked just before the edge of a kept gutter spans columns (a title, a
    running header): the word spaces it has elsewhere prove nothing, so it does not stretch any span.
    """
    kept = _spans(_strips(glyphs), bands)
    edges = [g1 - 1.0 for _, g1, _, _ in kept]
    columned = [band for band in bands if not any(g.x0 < x < g.x1 for g in band for x in edges)]
    return _spans([(g0, g1) for g0, g1, _, _ in kept], columned)


def _spans(strips: list[tuple[float, float]], bands: list[list[Glyph]]) -> list[Gutter]:
    out: list[Gutter] = []
    for g0, g1 in strips:
        rows = [band[0].baseline for band in bands if breaks_at(band, g1)]
        if len(rows) < 3:
            continue
        top, bottom = min(rows), max(rows)
        both_sides = sum(
            1
            for band in bands
            if top <= band[0].baseline <= bottom and band[0].x1 < g0 + 0.5 and band[-1].x0 > g1 - 0.5
        )
        if len(rows) >= 0.6 * both_sides:
            out.append((g0, g1, top, bottom))
    return out


def breaks_at(band: list[Glyph], edge: float) -> bool:
    """Whether a gap in the line ends at `edge` (a column's left edge)."""
    right = None
    for g in band:
        if (
            right is not None
            and g.x0 - right > 0.5
            and right <= edge + 0.5
            and edge - 1.0 <= g.x0 <= edge + 1.5 * g.size
        ):
            return True
        right = g.x1 if right is None else max(right, g.x1)
    return False
