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
