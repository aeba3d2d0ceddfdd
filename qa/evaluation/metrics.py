"""Answer scoring as in the official CMRC 2018 evaluation: exact match and LCS-based F1.

Text is lower-cased, punctuation and whitespace are removed, and it is segmented the way the
official script does: each Chinese character is a token, a run of Latin letters or digits is one
token. F1 is computed from the longest common substring of the two token lists; both scores take
the maximum over the gold answers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

# The official script's list, plus the Unicode punctuation classes so that other scripts behave.
_OFFICIAL_PUNCT = set("-:_*^/\\~`+=，。：？！“”；’《》……·、「」（）－～『』")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def _is_punct(char: str) -> bool:
    return char in _OFFICIAL_PUNCT or unicodedata.category(char)[0] in "PS"


def normalize_answer(text: str) -> str:
    """Lower-case and drop punctuation and whitespace (the comparison form for exact match)."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(c for c in text if not c.isspace() and not _is_punct(c))


def segment(text: str) -> list[str]:
    """Chinese characters one by one; runs of other letters and digits as whole tokens."""
    tokens: list[str] = []
    run = ""
    for char in unicodedata.normalize("NFKC", text).lower():
        if char.isspace() or _is_punct(char):
            tokens.extend(_WORD.findall(run))
            run = ""
        elif _CJK.match(char):
            tokens.extend(_WORD.findall(run))
            run = ""
            tokens.append(char)
        else:
            run += char
    tokens.extend(_WORD.findall(run))
    return tokens


def _lcs_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the longest common substring (contiguous), as the official script computes."""
    best = 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, y in enumerate(b, start=1):
            if x == y:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best


def exact_match(prediction: str | None, answers: Sequence[str]) -> float:
    """1.0 when the normalised prediction equals a normalised gold answer."""
    if prediction is None or not answers:
        return 0.0
    pred = normalize_answer(prediction)
    return float(any(pred == normalize_answer(a) for a in answers))


def f1(prediction: str | None, answers: Sequence[str]) -> float:
    """Best LCS-based F1 of the prediction against the gold answers (0 for no prediction)."""
    if prediction is None or not answers:
        return 0.0
    pred = segment(prediction)
    best = 0.0
    for answer in answers:
        gold = segment(answer)
        common = _lcs_length(gold, pred)
        if common == 0:
            continue
        precision, recall = common / len(pred), common / len(gold)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def contains_answer(text: str, answers: Sequence[str]) -> bool:
    """Whether a passage holds a gold answer string (compared in normalised form)."""
    folded = normalize_answer(text)
    return any(normalize_answer(a) and normalize_answer(a) in folded for a in answers)
