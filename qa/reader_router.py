"""Send each question to the reader that can read its language.

Each trained reader says in its settings which questions it is given (`questions`: "chinese",
"other" or "any"), chosen from measured reading, not from its base. The default reader, over
multilingual-e5-small, reads every question; the reader over m3e-small (Chinese vocabulary:
capitalised English words are [UNK] to it) reads only Chinese ones (docs/quality.md). A route no trained reader takes goes to the heuristic reader, which reads
through the multilingual embedding model and also stands in where a trained reader abstains.
Each reader keeps its own no-answer threshold and retrieval weight: their scores live on
different scales.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from qa.reader import Reader, Reading, Scored
from qa.text import is_mostly_cjk


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


class ScriptRouter:
    """Questions mostly in Chinese characters to `han`, all others to `other`, each under its own
    policy; `fallback` (the heuristic reader) answers where a trained reader abstains."""

    def __init__(self, han: Reader, other: Reader, han_policy: Policy, other_policy: Policy, fallback: Reader) -> None:
        self.han, self.other = han, other
        self._policies = (han_policy, other_policy)
        self._fallback = fallback

    @property
    def name(self) -> str:
        if self.han is self.other:
            return f"{label(self.han)} (all questions)"
        return f"{label(self.han)} (Chinese questions), {label(self.other)} (others)"

    def policy(self, question: str) -> Policy:
        return self._policies[self._route(question)]

    @property
    def fallback(self) -> Reader:
        """The reader asked when a trained one abstains on a question routed to it."""
        return self._fallback

    def read_many(self, questions: Sequence[str], passages: Sequence[Sequence[str]],
                  question_vectors: np.ndarray | None = None,
                  sentences: Scored | None = None) -> list[list[Reading]]:
        readings: list[list[Reading]] = [[] for _ in questions]
        groups: dict[int, tuple[Reader, list[int]]] = {}  # one call per reader: one reader may take both routes
        for i, question in enumerate(questions):
            reader = (self.han, self.other)[self._route(question)]
            groups.setdefault(id(reader), (reader, []))[1].append(i)
        for reader, rows in groups.values():
            vectors = None if question_vectors is None else question_vectors[rows]
            scored = None if sentences is None else [sentences[i] for i in rows]
            found = reader.read_many([questions[i] for i in rows], [passages[i] for i in rows], vectors, scored)
            for i, reading in zip(rows, found):
                readings[i] = reading
        return readings

    @staticmethod
    def _route(question: str) -> int:
        return 0 if is_mostly_cjk(question) else 1


def label(reader: Reader) -> str:
    """A reader's name for /readyz and `ragqa eval`: its class, and the base a trained one reads over."""
    settings = getattr(reader, "settings", None)
    base = getattr(settings, "base", None)
    return f"{type(reader).__name__} over {base}" if base else type(reader).__name__
