"""Ask a question in its conversation: complete it from the turn before, and keep the reading the
reader is surest of."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from qa.conversation.followup import Reading, readings
from qa.conversation.turns import Turn
from qa.pipeline import Result, SearchResult

# How much surer another reading must be than the most likely one to be kept instead: the rules'
# order is evidence too, and a reader is at times sure of a wrong span of a wrong question.
PREFER_FIRST = 0.1


class Steps(Protocol):
    """A batch retrieved and not yet read (`qa.pipeline.Asking`)."""

    def passages(self) -> list[SearchResult]: ...

    def answers(self) -> list[Result]: ...


class Begins(Protocol):
    def begin(self, questions: Sequence[str], top_k: int = ..., filters: Any = None) -> Steps: ...


@dataclass
class InContext:
    """A question's readings, retrieved together: the likeliest reading's passages first, then the answer."""

    question: str
    readings: list[Reading]
    steps: Steps

    def passages(self) -> tuple[SearchResult, Reading]:
        """The passages of the most likely reading (a client may show them while the reader reads)."""
        return replace(self.steps.passages()[0], query=self.question), self.readings[0]

    def answer(self) -> tuple[Result, Reading]:
        """Read every reading in one batch; the answer with the highest score wins (no answer scores
        lowest), the most likely reading by PREFER_FIRST."""
        results = self.steps.answers()
        best = max(range(len(results)), key=lambda i: _score(results[i]) + (PREFER_FIRST if i == 0 else 0.0))
        return replace(results[best], question=self.question), self.readings[best]


def begin(pipeline: Begins, question: str, history: list[Turn], top_k: int, filters: Any = None) -> InContext:
    """Retrieve for a question read in its conversation (one batch for all its readings)."""
    options = readings(question, history)
    return InContext(question, options, pipeline.begin([r.question for r in options], top_k, filters))


def ask(
    pipeline: Begins, question: str, history: list[Turn], top_k: int, filters: Any = None
) -> tuple[Result, Reading]:
    """The answer to a question read in its conversation, and how it was read."""
    return begin(pipeline, question, history, top_k, filters).answer()


def _score(result: Result) -> float:
    return -1.0 if result.answer is None else result.answer.score
