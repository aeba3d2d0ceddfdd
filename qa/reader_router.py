"""Send each question to the reader that can read its language.

The shipped trained reader sits on m3e-small, whose vocabulary is Chinese (capitalised English
words are [UNK] to it) and which was trained on Chinese questions only. Questions written mostly
in other scripts go to the heuristic reader, which reads through the multilingual embedding
model. Each reader keeps its own no-answer threshold and retrieval weight: their scores live on
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
    """Questions mostly in Chinese characters to `han`, all others to `other`."""

    def __init__(self, han: Reader, other: Reader, han_policy: Policy, other_policy: Policy) -> None:
        self.han, self.other = han, other
        self._policies = (han_policy, other_policy)

    @property
    def name(self) -> str:
        return f"{type(self.han).__name__} (Chinese questions), {type(self.other).__name__} (others)"

    def policy(self, question: str) -> Policy:
        return self._policies[self._route(question)]

    @property
    def fallback(self) -> Reader:
        """The reader asked when the trained one abstains on a question routed to it."""
        return self.other

    def read_many(self, questions: Sequence[str], passages: Sequence[Sequence[str]],
                  question_vectors: np.ndarray | None = None,
                  sentences: Scored | None = None) -> list[list[Reading]]:
        readings: list[list[Reading]] = [[] for _ in questions]
        for route, reader in enumerate((self.han, self.other)):
            rows = [i for i, q in enumerate(questions) if self._route(q) == route]
            if not rows:
                continue
            vectors = None if question_vectors is None else question_vectors[rows]
            scored = None if sentences is None else [sentences[i] for i in rows]
            found = reader.read_many([questions[i] for i in rows], [passages[i] for i in rows], vectors, scored)
            for i, reading in zip(rows, found):
                readings[i] = reading
        return readings

    @staticmethod
    def _route(question: str) -> int:
        return 0 if is_mostly_cjk(question) else 1
