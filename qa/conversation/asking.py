"""Ask a question in its conversation: complete it from the turn before, and keep the reading the
reader is surest of."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Protocol

from qa.conversation.followup import Reading, readings
from qa.conversation.turns import Turn
from qa.pipeline import Result

# How much surer another reading must be than the most likely one to be kept instead: the rules'
# order is evidence too, and a reader is at times sure of a wrong span of a wrong question.
PREFER_FIRST = 0.1


class Asks(Protocol):
    def ask_many(self, questions: Sequence[str], top_k: int = ..., filters: Any = None) -> list[Result]: ...


def ask(pipeline: Asks, question: str, history: list[Turn], top_k: int, filters: Any = None) -> tuple[Result, Reading]:
    """The answer to a question read in its conversation, and how it was read.

    One reading (the question stands alone): asked as it is. Several: asked together in one batch,
    and the answer with the highest score wins (no answer scores lowest), the first by PREFER_FIRST."""
    options = readings(question, history)
    results = pipeline.ask_many([r.question for r in options], top_k, filters)
    best = max(range(len(options)), key=lambda i: _score(results[i]) + (PREFER_FIRST if i == 0 else 0.0))
    return replace(results[best], question=question), options[best]


def _score(result: Result) -> float:
    return -1.0 if result.answer is None else result.answer.score
