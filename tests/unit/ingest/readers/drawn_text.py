"""Images of text drawn with Pillow, and where each character was drawn, for the OCR tests.

Chinese is drawn with the Noto CJK font where the machine has it (tests that need it skip, saying
so, where it does not); English with Pillow's own scalable font, which every Pillow has.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFont

NOTO_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
SIZE = 40  # pixels: body text on a page scanned at 200-300 dpi is 30-50 pixels tall


def cjk_font(size: int = SIZE) -> Any:
    if not NOTO_CJK.is_file():
        pytest.skip(f"no Chinese font to draw with ({NOTO_CJK} is missing; Debian: fonts-noto-cjk)")
    return ImageFont.truetype(str(NOTO_CJK), size)


def latin_font(size: int = SIZE) -> Any:
    return ImageFont.load_default(size=size)


@dataclass
class Drawn:
    """A drawn line: its text, the box of its ink, and each character's span across the line (x0, x1)."""

    text: str
    bbox: tuple[float, float, float, float]
    spans: list[tuple[float, float]]


def draw(
    lines: Sequence[tuple[float, float, str]], font: Any, size: tuple[int, int] = (1400, 240)
) -> tuple[Image.Image, list[Drawn]]:
    """A white RGB image with each (x, y, text) drawn in black, and where it was drawn."""
    image = Image.new("RGB", size, "white")
    pen = ImageDraw.Draw(image)
    drawn = []
    for x, y, text in lines:
        pen.text((x, y), text, font=font, fill="black")
        spans = [(x + font.getlength(text[:i]), x + font.getlength(text[: i + 1])) for i in range(len(text))]
        x0, top, x1, bottom = pen.textbbox((x, y), text, font=font)
        drawn.append(Drawn(text, (float(x0), float(top), float(x1), float(bottom)), spans))
    return image, drawn


def encoded(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()
