"""From retrieved passages to an answer: read them, weigh each span, keep the best or abstain.

`Answerer` reads each question's `Retrieval` with the pipeline's reader, skipping passages no
span could answer from, weighs each span by `span_score` (the reader's confidence blended with
how close its passage and sentence are to the question), abstains under the reader's policy
threshold, and asks the reader's fallback where it abstained. `qa.evaluation.calibration` fits
the policy's settings to labels with the same `span_score`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from qa.ingest.passages import Passage
from qa.reading.reader import Policy, Reader, Reading, SentenceScores
from qa.reading.relevance import at
from qa.retrieval.hybrid import Hit

Span = tuple[int, int]


@dataclass
class Retrieval:
    """One question as the retriever left it: what the reader reads and the decision weighs."""

    question: str
    vector: np.ndarray  # the question's embedding
    hits: list[Hit]
    texts: list[str]  # the hits' passage texts
    sentences: list[SentenceScores]  # per hit, its sentences scored against the question


@dataclass
class Answer:
    text: str
    passage_id: str
    start: int
    end: int
    score: float


@dataclass
class Decision:
    """One question's verdict on its retrieved passages."""

    readings: list[Reading]  # per passage; an unread one still carries its best sentence to highlight
    spans: list[Span | None]  # per passage; None under the threshold, so it is not painted
    answer: Answer | None


def combined_score(reader: float, retrieval: float, weight: float) -> float:
    """reader^(1-w) * retrieval^w: a geometric blend of the reader's confidence and how close the
    passage is to the question (`Pipeline.evidence`), so a plausible span in a passage far from the
    question neither beats one in a close passage nor clears the no-answer threshold as easily.
    w = 0 is the reader alone.
    """
    if weight <= 0:
        return reader
    return float(max(reader, 0.0) ** (1 - weight) * max(retrieval, 0.0) ** weight)


def blend_evidence(passage: float, sentence: float, share: float) -> float:
    """passage^(1-s) * sentence^s: how close the passage is to the question, and how close the
    sentence holding the answer is (`SentenceRelevance`). A reader's span probabilities are
    normalised within each passage, so they cannot say which of two passages' sure spans was
    asked for; the answer sentence can. s = 0 is the passage alone."""
    if share <= 0:
        return passage
    return float(max(passage, 0.0) ** (1 - share) * max(sentence, 0.0) ** share)


def span_score(reader: float, passage: float, sentence: float | None, weight: float, share: float) -> float:
    """The score a span is answered or abstained by: the reader's confidence blended (weight) with
    its passage's evidence, itself blended (share) with the relevance of the sentence holding the
    span (None: not known, the passage alone)."""
    evidence = passage if sentence is None else blend_evidence(passage, sentence, share)
    return combined_score(reader, evidence, weight)


class Answerer:
    """A reader (with its fallback, if it has one) deciding answers from retrieved passages."""

    def __init__(self, reader: Reader, passages: Sequence[Passage], evidence: Callable[[Hit, str], float]) -> None:
        """
        Args:
            reader: reads the passages and gives each question's policy; its fallback answers where it abstains.
            passages: the index's passages, by row (`Hit.row`).
            evidence: how close a retrieved passage is to the question, 0..1 (`Pipeline.evidence`).
        """
        self.reader = reader
        self.passages = passages
        self.evidence = evidence

    def answer_many(self, retrieved: Sequence[Retrieval]) -> list[Decision]:
        """Decide each question's answer from its retrieval, under its reader's policy."""
        policies = [self.reader.policy(r.question) for r in retrieved]
        readings = self._read(retrieved, policies)
        decided = [self._decide(r, rs, p) for r, rs, p in zip(retrieved, readings, policies)]
        self._fall_back(retrieved, policies, readings, decided)
        return [Decision(rs, spans, best) for rs, (spans, best) in zip(readings, decided)]

    def _read(self, retrieved: Sequence[Retrieval], policies: Sequence[Policy]) -> list[list[Reading]]:
        """The reader's readings of the passages that could still give the answer.

        A span scores at most `bound` (reader confidence 1 in the passage's best sentence), and the
        reader is the costly step, so each question's passages are read best bound first, one per
        round (the rounds batch the questions), and a passage is read only while its bound reaches
        both the threshold and the best score found so far: one that cannot beat it cannot change
        the answer, which stays exactly the one reading every passage gives. An unread passage
        shows the sentence closest to the question instead of a span."""
        bounds = [
            [self._bound(r.question, h, ss, p) for h, ss in zip(r.hits, r.sentences)]
            for r, p in zip(retrieved, policies)
        ]
        queues = [sorted(range(len(b)), key=b.__getitem__, reverse=True) for b in bounds]
        best = [p.threshold for p in policies]
        readings = [[Reading(None, best_sentence(scored), 0.0) for scored in r.sentences] for r in retrieved]
        while True:
            turn = []  # (question, passage) read this round
            for q, queue in enumerate(queues):
                while queue and bounds[q][queue[0]] < best[q]:
                    queue.pop(0)  # neither this passage nor any after it (lower bounds) can win
                if queue:
                    turn.append((q, queue.pop(0)))
            if not turn:
                return readings
            found = self.reader.read_many(
                [retrieved[q].question for q, _ in turn],
                [[retrieved[q].texts[i]] for q, i in turn],
                np.stack([retrieved[q].vector for q, _ in turn]),
                [[retrieved[q].sentences[i]] for q, i in turn],
            )
            for (q, i), [reading] in zip(turn, found):
                readings[q][i] = reading
                score = self._score(retrieved[q], i, reading, policies[q])
                if score is not None:
                    best[q] = max(best[q], score)

    def _bound(self, question: str, hit: Hit, sentences: SentenceScores, policy: Policy) -> float:
        """The most any span of this passage could score: reader confidence 1 in its best sentence
        (1 for every passage when the policy gives retrieval no weight or has no threshold)."""
        if policy.retrieval_weight <= 0 or policy.threshold <= 0:
            return 1.0
        best = max((v for _, _, v in sentences), default=None) if sentences else None
        return span_score(1.0, self.evidence(hit, question), best, policy.retrieval_weight, policy.sentence_share)

    def _score(
        self, retrieval: Retrieval, i: int, reading: Reading, policy: Policy, weigh_sentences: bool = True
    ) -> float | None:
        """The score of passage i's span under the policy (`_decide` answers by it), None when it has none."""
        if reading.answer is None or reading.answer[0] >= reading.answer[1]:
            return None
        sentence = at(retrieval.sentences[i], reading.answer[0]) if weigh_sentences else None
        evidence = self.evidence(retrieval.hits[i], retrieval.question)
        return span_score(reading.score, evidence, sentence, policy.retrieval_weight, policy.sentence_share)

    def _decide(
        self, retrieval: Retrieval, readings: Sequence[Reading], policy: Policy, weigh_sentences: bool = True
    ) -> tuple[list[Span | None], Answer | None]:
        """Each passage's answer span (None under the threshold, so it is not painted) and the best answer."""
        answers: list[Span | None] = []
        best: Answer | None = None
        for i, (hit, reading) in enumerate(zip(retrieval.hits, readings)):
            passage = self.passages[hit.row]
            score = self._score(retrieval, i, reading, policy, weigh_sentences)
            answer = reading.answer if score is not None and score >= policy.threshold else None
            answers.append(answer)
            if answer and score is not None and (best is None or score > best.score):
                s, e = answer
                best = Answer(passage.text[s:e], passage.id, s, e, score)
        return answers, best

    def _fall_back(
        self,
        retrieved: Sequence[Retrieval],
        policies: Sequence[Policy],
        readings: list[list[Reading]],
        decided: list[tuple[list[Span | None], Answer | None]],
    ) -> None:
        """Where the reader abstained and its policy has a fallback, let the fallback reader answer
        the same passages under its calibrated threshold (in place)."""
        rows = [i for i, (p, (_, best)) in enumerate(zip(policies, decided)) if best is None and p.fallback is not None]
        reader = self.reader.fallback
        if not rows or reader is None:
            return
        asked = [retrieved[i] for i in rows]
        found = reader.read_many(
            [r.question for r in asked], [r.texts for r in asked], _vectors(asked), [r.sentences for r in asked]
        )
        for i, retrieval, other in zip(rows, asked, found):
            # The fallback's own scale: its score alone against the fallback threshold.
            answers, best = self._decide(
                retrieval, other, Policy(float(policies[i].fallback or 0.0)), weigh_sentences=False
            )
            if best is not None:
                decided[i], readings[i] = (answers, best), other


def _vectors(retrieved: Sequence[Retrieval]) -> np.ndarray:
    return np.stack([r.vector for r in retrieved]) if retrieved else np.zeros((0, 0), dtype=np.float32)


def best_sentence(scored: SentenceScores) -> Span | None:
    """The span of the sentence scored closest to the question; None for a passage without sentences."""
    if not scored:
        return None
    s, e, _ = max(scored, key=lambda x: x[2])
    return s, e
