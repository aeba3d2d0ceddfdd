"""Where a passage's characters are drawn on its page, as a passage keeps them and as a highlight draws them.

A PDF or scan reader gives every code point of a block a box (`qa.ingest.documents.Box`: x0, top,
x1, bottom in PDF points from the page's top-left corner; None for a character with no place, such
as a space that joins two lines). Passages keep their characters' boxes through splitting and
joining, one per code point of the passage text, so any span of it, an answer above all, maps to
the rectangles a page view paints.

A passage record stores them as one compact string (`encode`/`decode`): four unsigned 16-bit
numbers per code point in tenths of a point, base64. A tenth of a point is finer than a rendered
pixel at any zoom a page view uses, 6,553 points is larger than any real page (A0 is 3,370), and
the string is about eleven bytes per character against ~60 as JSON numbers: a 300-page report
keeps its boxes in a few megabytes of records.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence

import numpy as np

from qa.ingest.documents import Box

CharBoxes = tuple[Box | None, ...]

_UNIT = 10.0  # stored numbers per point
_NONE = np.iinfo(np.uint16).max  # all four numbers of a character without a box
_MAX = (_NONE - 1) / _UNIT
# Characters whose boxes are this close vertically (a fraction of the line height) share a line.
_SAME_LINE = 0.5


def encode(boxes: Sequence[Box | None]) -> str:
    """The compact string of one box (or None) per code point; coordinates clamped to 0..6553.4 points."""
    array = np.full((len(boxes), 4), _NONE, dtype="<u2")
    for n, box in enumerate(boxes):
        if box is not None:
            array[n] = np.rint(np.clip(box, 0.0, _MAX) * _UNIT)
    return base64.b64encode(array.tobytes()).decode("ascii")


def decode(text: str) -> CharBoxes:
    """The boxes `encode` stored, in tenths of a point. Raises ValueError on a damaged string."""
    raw = base64.b64decode(text.encode("ascii"), validate=True)
    if len(raw) % 8:
        raise ValueError(f"a box string of {len(raw)} bytes is not whole boxes of 8 bytes")
    array = np.frombuffer(raw, dtype="<u2").reshape(-1, 4)
    return tuple(None if (row == _NONE).all() else tuple(float(v) / _UNIT for v in row) for row in array)  # type: ignore[misc]


def join(parts: Sequence[tuple[int, CharBoxes | None]]) -> CharBoxes | None:
    """The boxes of texts joined end to end, each part given as (its length, its boxes or None).

    Returns None when no part has boxes (a source without geometry stays without); a part without
    boxes within one that has them (a separator) gets None per character.
    """
    if all(boxes is None for _, boxes in parts):
        return None
    out: list[Box | None] = []
    for length, boxes in parts:
        out.extend(boxes if boxes is not None else (None,) * length)
    return tuple(out)


def rectangles(boxes: Sequence[Box | None]) -> list[Box]:
    """The rectangles that cover these characters: one per run of characters on one line, in order.

    A run ends where the next character is on another line (its vertical middle outside this run's
    band) or lies to its left (a column or wrap); characters without a box are left out.
    """
    out: list[list[float]] = []
    for box in boxes:
        if box is None:
            continue
        x0, top, x1, bottom = box
        if out:
            last = out[-1]
            middle, height = (top + bottom) / 2, max(last[3] - last[1], bottom - top, 1e-6)
            if abs(middle - (last[1] + last[3]) / 2) <= _SAME_LINE * height and x0 >= last[0] - 0.5 * height:
                last[:] = [min(last[0], x0), min(last[1], top), max(last[2], x1), max(last[3], bottom)]
                continue
        out.append([x0, top, x1, bottom])
    return [(round(a, 1), round(b, 1), round(c, 1), round(d, 1)) for a, b, c, d in out]
