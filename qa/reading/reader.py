"""What every reader is to the rest of ragqa: the `Reader` protocol, its `Reading`s, and its `Policy`.

A reader picks the answer span in each retrieved passage. The pipeline knows readers only through
this protocol; `qa.reading.router` assembles the ones a pipeline uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple, Protocol

import numpy as np


class ScoredSpan(NamedTuple):
    """A span of a passage, in code points, with a score: a candidate answer (its probability or
    fit) or a sentence (its relevance to the question)."""

    start: int
    end: int
    score: float


# One passage's sentences scored against the question (`SentenceRelevance.score`), in text order.
SentenceScores = list[ScoredSpan]
# Per question, per passage: its sentence scores.
Scored = Sequence[Sequence[SentenceScores]]


@dataclass
class Reading:
    """A reader's verdict on one passage; offsets are code points into the passage text."""

    answer: tuple[int, int] | None
    sentence: tuple[int, int] | None
    score: float  # confidence that `answer` answers the question, 0..1
    # A trained reader's best spans in this passage, best first (P(start)·P(end) as the score).
    candidates: list[ScoredSpan] = field(default_factory=list)


@dataclass(frozen=True)
class Policy:
    """How a reader's scores become answers: the blend with retrieval, then the no-answer cut."""

    threshold: float
    retrieval_weight: float = 0.0
    # When the reader abstains, the fallback reader's answer is taken if it scores at least this
    # (its own scale; chosen from labels by `ragqa calibrate-reader`); None: no fallback.
    fallback: float | None = None
    # Exponent of the answer sentence's relevance in the retrieval evidence (`answering.blend_evidence`).
    sentence_share: float = 0.0


class Reader(Protocol):
    """Reads passages for questions; says under which policy its readings become answers."""

    @property
    def name(self) -> str:
        """What /readyz and `ragqa eval` call it."""
        ...

    @property
    def fallback(self) -> Reader | None:
        """The reader asked where this one abstains under a policy with a fallback score, or None."""
        ...

    def policy(self, question: str) -> Policy:
        """The threshold, retrieval weight and fallback this reader's answers to `question` are decided by."""
        ...

    def read_many(
        self,
        questions: Sequence[str],
        passages: Sequence[Sequence[str]],
        question_vectors: np.ndarray | None = None,
        sentences: Scored | None = None,
    ) -> list[list[Reading]]:
        """Read passages[i] (a list of texts) for questions[i]; the pipeline's question embeddings and
        sentence scores may be passed in so they are not computed twice."""
        ...
