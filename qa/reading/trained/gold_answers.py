"""Gold answers fit to train on: found where their offset says, and without the mark that ends a sentence.

Training sets disagree on answer length (README of ../shared/datasets): a quarter of CMRC 2018 train's
golds end in "。" and many are whole clauses, while DRCD's are a few characters. A reader trained on
both learns to run on to the full stop; trimming the mark (the start stays) and leaving out the longest
golds keeps what it learns as short as the question asks. Offsets are code points into the context.
"""

from __future__ import annotations

from dataclasses import dataclass

# Marks that close a sentence or clause; "." is left alone (Inc., U.S., 3.).
TRAILING_MARKS = "。．！？；，、：!?;,:"
# How far a wrong answer_start may be from its text and still be trusted to mean that occurrence.
REACH = 10


@dataclass(frozen=True)
class Gold:
    text: str
    start: int
    located: bool = False  # answer_start did not point at the text; it was found within REACH of it
    trimmed: bool = False  # a trailing sentence mark (or space) was cut

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def trim(text: str) -> str:
    """The answer without the sentence marks and spaces that end it."""
    return text.rstrip(TRAILING_MARKS + " \t\r\n\u3000")


def locate(context: str, text: str, start: int, reach: int = REACH) -> int | None:
    """Where the gold text is: at `start`, else its occurrence nearest to `start` within `reach`."""
    if text and context[start : start + len(text)] == text:
        return start
    found = [i for i in range(max(0, start - reach), start + reach + 1) if context.startswith(text, i)]
    return min(found, key=lambda i: abs(i - start)) if text and found else None


def fit(context: str, text: str, start: int, max_chars: int | None = None) -> Gold | str:
    """The gold answer made fit to train on, or why it is left out (a short reason)."""
    lead = len(text) - len(text.lstrip())
    raw = text.strip()
    position = locate(context, raw, start + lead)
    if position is None:
        return "answer_start does not point at the text, nor near it"
    short = trim(raw)
    if not short:
        return "the answer is only punctuation"
    if max_chars is not None and len(short) > max_chars:
        return f"answer longer than {max_chars} characters"
    return Gold(short, position, located=position != start + lead, trimmed=short != raw)
