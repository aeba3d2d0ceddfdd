"""Traditional-to-Simplified folding for the heuristics, which are written in Simplified Chinese.

The reader's patterns (什么, 谁, 位于, 因为…) and jieba's dictionary are Simplified; DRCD-style
Traditional text (甚麼, 誰, 位於, 因為…) is folded with OpenCC before they run. Offsets must stay
valid, so a conversion that would change the length is not used.
"""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def _converter():  # noqa: ANN202 - opencc has no types
    try:
        import opencc
    except ImportError:  # optional: without it Traditional text is read as it is
        return None
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=8192)
def to_simplified(text: str) -> str:
    """Simplified Chinese of the same length as text (text itself when that is impossible)."""
    converter = _converter()
    if converter is None:
        return text
    converted = converter.convert(text).replace("甚么", "什么")
    return converted if len(converted) == len(text) else text


# Full-width digits and Latin letters (ＡＢＣ１２３) to ASCII, one character for one, so offsets hold.
# Chinese punctuation (，？（) is full-width too but stays: it is what the reader was trained on.
_HALF_WIDTH = {code: code - 0xFEE0 for lo, hi in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
               for code in range(lo, hi + 1)}


def to_half_width(text: str) -> str:
    """Text of the same length with full-width digits and Latin letters as ASCII.

    Vocabularies built from everyday text hold "1000" but not "１０００" (an unknown token to
    m3e-small), so a reader reads the half-width form and maps its span back by position."""
    return text.translate(_HALF_WIDTH)


def fold(text: str) -> str:
    """Simplified and half-width, as the trained reader reads (same length: every offset holds)."""
    return to_simplified(to_half_width(text))
