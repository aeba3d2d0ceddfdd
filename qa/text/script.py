"""Which script a text is written in, and folding it without moving any offset.

The readers' patterns (什么, 谁, 位于, 因为…) and jieba's dictionary are Simplified; DRCD-style
Traditional text (甚麼, 誰, 位於, 因為…) is folded with OpenCC before they run. Width and case are
folded too, so that ＡＢＣ１２３ matches abc123. Offsets must stay valid, so a conversion that
would change the length is not used: an offset into folded text is an offset into the original.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def is_cjk(text: str) -> bool:
    """True when the text contains any CJK ideograph."""
    return bool(_CJK.search(text))


def is_mostly_cjk(text: str) -> bool:
    """True when at least half of the letters of the text are CJK ideographs."""
    letters = sum(ch.isalpha() for ch in text)
    return bool(letters) and len(_CJK.findall(text)) * 2 >= letters


@lru_cache(maxsize=1)
def _converter():
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
_HALF_WIDTH = {
    code: code - 0xFEE0
    for lo, hi in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
    for code in range(lo, hi + 1)
}


def to_half_width(text: str) -> str:
    """Text of the same length with full-width digits and Latin letters as ASCII.

    Vocabularies built from everyday text hold "1000" but not "１０００" (an unknown token to
    m3e-small), so a reader reads the half-width form and maps its span back by position."""
    return text.translate(_HALF_WIDTH)


def fold(text: str) -> str:
    """Simplified and half-width, as the trained reader reads (same length: every offset holds)."""
    return to_simplified(to_half_width(text))


def normalize(text: str) -> str:
    """Fold width, case and script so that ＡＢＣ１２３ matches abc123 and 張江 matches 张江.

    The length never changes, so an offset into the folded text is an offset into the original.
    """
    if text.isascii():
        return to_simplified(text.lower())
    # Character by character: folding the whole string can lengthen one character (ﬁ → fi) and
    # shorten another (e + U+0301 → é), keeping the total length while shifting every offset.
    return to_simplified("".join(_fold_char(c) for c in text))


@lru_cache(maxsize=65536)
def _fold_char(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char).lower()
    if len(folded) == 1:
        return folded
    lower = char.lower()
    return lower if len(lower) == 1 else char  # 'İ'.lower() is two code points


def is_unicode(text: str) -> bool:
    """False for text holding a lone surrogate ("\\ud800", which JSON can escape): no UTF-8 file,
    SQLite column or response can carry it, so every entry point refuses it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
