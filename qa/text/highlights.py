"""Highlights as Unicode code-point offsets into the passage text the response carries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from qa.text import find_all, normalize

ANSWER, SENTENCE, TERM = "answer", "sentence", "term"


@dataclass(frozen=True)
class Highlight:
    start: int
    end: int
    kind: str  # answer | sentence | term

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def term_spans(text: str, terms: Iterable[str]) -> list[Highlight]:
    """Every occurrence of the question's terms, longest terms first, without overlaps.

    Matching is on width- and case-folded text, which keeps code-point positions, so a term typed
    as ABC finds ＡＢＣ and offsets still index the original text.
    """
    folded = normalize(text)
    taken = [False] * len(text)
    spans: list[Highlight] = []
    # dict, not set: equal-length terms keep the question's order, so overlaps resolve the same in every process.
    for term in sorted(dict.fromkeys(normalize(t) for t in terms if t), key=len, reverse=True):
        for start in find_all(folded, term):
            end = start + len(term)
            if term.isascii() and term[:1].isalnum() and not _word_bounded(folded, start, end):
                continue  # "art" inside "start" is not a match
            if not any(taken[start:end]):
                taken[start:end] = [True] * (end - start)
                spans.append(Highlight(start, end, TERM))
    return sorted(spans, key=lambda h: h.start)


def _word_bounded(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isascii() and before.isalnum()) and not (after.isascii() and after.isalnum())


def passage_highlights(
    text: str, answer: tuple[int, int] | None, sentence: tuple[int, int] | None, terms: Iterable[str]
) -> list[Highlight]:
    """All highlights of a passage: the answer, its sentence and the question terms."""
    out: list[Highlight] = []
    if answer and 0 <= answer[0] < answer[1] <= len(text):
        out.append(Highlight(answer[0], answer[1], ANSWER))
    if sentence and 0 <= sentence[0] < sentence[1] <= len(text):
        out.append(Highlight(sentence[0], sentence[1], SENTENCE))
    out.extend(term_spans(text, terms))
    return out
