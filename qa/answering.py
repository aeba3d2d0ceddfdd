"""From retrieved passages to an answer: read them, weigh each span, keep the best or abstain.

`Answerer` reads the passages the retriever found with the pipeline's reader, skipping those no
span could answer from, blends each span's score with how close its passage (and sentence) is to
the question, abstains under the policy's threshold, and asks the fallback reader where a trained
reader abstained. `combined_score` and `blend_evidence` are the scoring rules it decides by, which
`qa.calibration` fits the policy's settings to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Sequence

from qa.passages import Passage
from qa.reader import Reader, Reading
from qa.reader_router import Policy
from qa.retrieve import Hit
from qa.sentence_relevance import at

# One passage's sentences scored against the question: (start, end, relevance).
Sentences = list[tuple[int, int, float]]
Span = tuple[int, int]


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


class Answerer:
    """A reader (with its fallback, if it has one) deciding answers from retrieved passages."""

    def __init__(self, reader: Reader, passages: Sequence[Passage], evidence: Callable[[Hit, str], float]) -> None:
        """
        Args:
            reader: reads the passages; a `fallback` attribute names the reader asked when it abstains.
            passages: the index's passages, by row (`Hit.row`).
            evidence: how close a retrieved passage is to the question, 0..1 (`Pipeline.evidence`).
        """
        self.reader = reader
        self.passages = passages
        self.evidence = evidence

    def answer_many(self, questions: Sequence[str], texts: list[list[str]], vectors: Any,
                    sentences: list[list[Sentences]] | None, hits: list[list[Hit]],
                    policies: list[Policy]) -> list[Decision]:
        """Decide each question's answer from its hits (texts[i] are their passages' texts), under
        its policy; sentences are each passage's sentence scores when the pipeline has them."""
        readings = self._read(questions, texts, vectors, sentences, hits, policies)
        decided = [self._decide(q, hs, rs, p, sentences[i] if sentences else None)
                   for i, (q, hs, rs, p) in enumerate(zip(questions, hits, readings, policies))]
        self._fall_back(questions, texts, vectors, sentences, hits, policies, readings, decided)
        return [Decision(rs, spans, best) for rs, (spans, best) in zip(readings, decided)]

    def _read(self, questions: Sequence[str], texts: list[list[str]], vectors: Any,
              sentences: list[list[Sentences]] | None, hits: list[list[Hit]],
              policies: list[Policy]) -> list[list[Reading]]:
        """The reader's readings of every passage, except those no span could answer from: a span
        scores at most 1, so a passage whose evidence keeps even that under the threshold is not read
        (the reader is the costly step; the decision is the same as reading it)."""
        keep = [[self._could_answer(q, h, ss, p) for h, ss in zip(hs, sentences[i] if sentences else [None] * len(hs))]
                for i, (q, hs, p) in enumerate(zip(questions, hits, policies))]
        found = self.reader.read_many(
            questions, [[t for t, k in zip(ts, ks) if k] for ts, ks in zip(texts, keep)], vectors,
            None if sentences is None else [[s for s, k in zip(ss, ks) if k] for ss, ks in zip(sentences, keep)])
        readings = []
        for i, (ks, got) in enumerate(zip(keep, found)):
            rest = iter(got)
            # An unread passage still shows the sentence closest to the question.
            readings.append([next(rest) if k else Reading(None, _best_sentence(sentences[i][p]) if sentences else None, 0.0)
                             for p, k in enumerate(ks)])
        return readings

    def _could_answer(self, question: str, hit: Hit, sentences: Sentences | None, policy: Policy) -> bool:
        """Whether the best span a reader could find in this passage (score 1, in its best sentence)
        would clear the policy's threshold."""
        if policy.retrieval_weight <= 0 or policy.threshold <= 0:
            return True
        best = max((v for _, _, v in sentences), default=None) if sentences else None
        return combined_score(1.0, self._evidence(hit, question, best, policy), policy.retrieval_weight) >= policy.threshold

    def _evidence(self, hit: Hit, question: str, sentence: float | None, policy: Policy) -> float:
        """The passage's evidence, blended with its answer sentence's relevance when the policy weighs it."""
        passage = self.evidence(hit, question)
        return passage if sentence is None else blend_evidence(passage, sentence, policy.sentence_share)

    def _decide(self, question: str, hits: Sequence[Hit], readings: Sequence[Reading], policy: Policy,
                sentences: Sequence[Sentences] | None = None) -> tuple[list[Span | None], Answer | None]:
        """Each passage's answer span (None under the threshold, so it is not painted) and the best answer."""
        answers: list[Span | None] = []
        best: Answer | None = None
        for i, (hit, reading) in enumerate(zip(hits, readings)):
            passage = self.passages[hit.row]
            weight = policy.retrieval_weight
            valid = reading.answer is not None and reading.answer[0] < reading.answer[1]
            sentence = at(sentences[i], reading.answer[0]) if sentences and valid and reading.answer is not None else None
            score = combined_score(reading.score, self._evidence(hit, question, sentence, policy), weight) if weight else reading.score
            answer = reading.answer if valid and score >= policy.threshold else None
            answers.append(answer)
            if answer and (best is None or score > best.score):
                s, e = answer
                best = Answer(passage.text[s:e], passage.id, s, e, score)
        return answers, best

    def _fall_back(self, questions: Sequence[str], texts: list[list[str]], vectors: Any,
                   sentences: list[list[Sentences]] | None, hits: list[list[Hit]],
                   policies: list[Policy], readings: list[list[Reading]],
                   decided: list[tuple[list[Span | None], Answer | None]]) -> None:
        """Where the trained reader abstained and its policy has a fallback, let the fallback reader
        answer the same passages under its calibrated threshold (in place)."""
        rows = [i for i, (p, (_, best)) in enumerate(zip(policies, decided)) if best is None and p.fallback is not None]
        reader = getattr(self.reader, "fallback", None)
        if not rows or reader is None:
            return
        found = reader.read_many([questions[i] for i in rows], [texts[i] for i in rows], vectors[rows],
                                 None if sentences is None else [sentences[i] for i in rows])
        for i, other in zip(rows, found):
            answers, best = self._decide(questions[i], hits[i], other, Policy(float(policies[i].fallback or 0.0)))
            if best is not None:
                decided[i], readings[i] = (answers, best), other


def _best_sentence(scored: Sentences) -> Span | None:
    if not scored:
        return None
    s, e, _ = max(scored, key=lambda x: x[2])
    return s, e
