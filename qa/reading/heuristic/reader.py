"""The rule-based reader: the sentence closest to the question, then the span of the asked kind in it.

It chooses sentences by lexical and embedding similarity to the question (`SentenceRelevance`),
then a span by the question's kind (`candidates`) and by aligning the question's wording with
the sentence (`alignment`). It needs no trained model; a trained reader's router asks it where
that reader abstains.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from qa.reading.heuristic.alignment import aligned_span
from qa.reading.heuristic.candidates import candidates
from qa.reading.questions import DATE, NUMBER, OTHER, QuestionType, question_type
from qa.reading.reader import Policy, Reader, Reading, Scored, ScoredSpan, SentenceScores
from qa.reading.relevance import SentenceRelevance
from qa.text import find_all, normalize, query_terms, to_simplified

_CLAUSE = re.compile(r"[^，；：,;:]+[，；：,;:]?")
_CLAUSE_MARK = re.compile(r"[，；：,;:]")
# Below this score the corpus is taken not to hold the answer. It is the lowest value that abstains
# on every unanswerable question of tests/data/seed_labels.jsonl with either embedded model (they
# score at most 0.383; the answerable ones 0.64 or more); docs/quality.md has the trade-off.
ANSWER_THRESHOLD = 0.39


class HeuristicReader:
    """Sentence choice by lexical + embedding similarity (`SentenceRelevance`), then a span typed by the question."""

    def __init__(self, relevance: SentenceRelevance, threshold: float = ANSWER_THRESHOLD) -> None:
        self.relevance = relevance
        self.threshold = threshold

    @property
    def name(self) -> str:
        return type(self).__name__

    @property
    def fallback(self) -> Reader | None:
        return None

    def policy(self, question: str) -> Policy:
        return Policy(self.threshold)

    def read_many(
        self,
        questions: Sequence[str],
        passages: Sequence[Sequence[str]],
        question_vectors: np.ndarray | None = None,
        sentences: Scored | None = None,
    ) -> list[list[Reading]]:
        if sentences is None:
            qvecs = (
                self.relevance.encoder.encode_queries(list(questions)) if question_vectors is None else question_vectors
            )
            sentences = [self.relevance.score(q, qvec, texts) for q, qvec, texts in zip(questions, qvecs, passages)]
        return [
            [self._read(q, text, scored) for text, scored in zip(texts, found)]
            for q, texts, found in zip(questions, passages, sentences)
        ]

    def _read(self, question: str, text: str, sentences: SentenceScores) -> Reading:
        scored = [(value, s, e) for s, e, value in sentences]
        if not scored:
            return Reading(None, None, 0.0)
        scored.sort(key=lambda x: -x[0])
        # The span heuristics speak Simplified Chinese; fold Traditional text (same length, same offsets).
        question_s = to_simplified(question)
        terms_s = query_terms(question_s)
        qtype = question_type(question_s)
        best_score, bs, be = scored[0]
        for score, s, e in scored[:3]:
            if score < 0.6 * best_score:
                break
            pick = _pick(to_simplified(text[s:e]), question_s, terms_s, qtype)
            if pick is not None:
                start, end, fit = pick
                return Reading((s + start, s + end), (s, e), score * (0.7 + 0.3 * fit))
        clause = _best_clause(to_simplified(text[bs:be]), terms_s)
        # An untyped or unmatched answer is a whole clause: less certain than a typed span.
        penalty = 0.85 if qtype.kind == OTHER else 0.6
        return Reading((bs + clause[0], bs + clause[1]), (bs, be), best_score * penalty)


def _pick(sentence: str, question: str, terms: list[str], qtype: QuestionType) -> ScoredSpan | None:
    """The answer span in one sentence: (start, end, fit), from typed candidates and question alignment."""
    aligned = aligned_span(sentence, question)
    if aligned and normalize(sentence[aligned[0] : aligned[1]]) in normalize(question):
        aligned = None
    typed = _best_candidate(sentence, question, terms, candidates(sentence, qtype)) if qtype.kind != OTHER else None
    if typed and aligned and aligned[0] <= typed[0].start and typed[0].end <= aligned[1]:
        return ScoredSpan(typed[0].start, typed[0].end, 1.0)  # both methods agree
    # Numbers and dates have reliable patterns; names from part-of-speech tags are noisier than alignment.
    if typed and (qtype.kind in (NUMBER, DATE) or not (aligned and aligned[2])):
        return ScoredSpan(typed[0].start, typed[0].end, typed[1])
    if aligned:
        return ScoredSpan(aligned[0], aligned[1], (0.85 if aligned[2] else 0.7) if qtype.kind == OTHER else 0.75)
    if typed:
        return ScoredSpan(typed[0].start, typed[0].end, typed[1])
    return None


def _best_candidate(
    sentence: str, question: str, terms: list[str], cands: list[ScoredSpan]
) -> tuple[ScoredSpan, float] | None:
    """The candidate that fits the type best and sits closest to the question's terms."""
    folded_q = normalize(question)
    folded = normalize(sentence)
    anchors = [(i, i + len(t)) for t in terms for i in find_all(folded, t)]
    best: tuple[float, ScoredSpan] | None = None
    for cand in cands:
        if normalize(sentence[cand.start : cand.end]).strip() in folded_q:
            continue  # the question's own words are not its answer
        if anchors:
            distance = min(_distance(sentence, cand.start, cand.end, a, b) for a, b in anchors)
            nearness = 1.0 / (1.0 + distance / 25.0)
        else:
            nearness = 0.5
        value = cand.score * (0.6 + 0.4 * nearness)
        if best is None or value > best[0]:
            best = (value, cand)
    return (best[1], best[0]) if best else None


def _distance(sentence: str, start: int, end: int, a: int, b: int) -> float:
    """Characters between two spans, with each clause boundary crossed counting as 30 more."""
    lo, hi = (end, a) if end <= a else (b, start) if b <= start else (0, 0)
    return (hi - lo) + 30 * len(_CLAUSE_MARK.findall(sentence[lo:hi]))


def _best_clause(sentence: str, terms: list[str]) -> tuple[int, int]:
    """The clause of a sentence that shares most with the question (the whole sentence if one)."""
    folded = normalize(sentence)
    clauses = [(m.start(), m.end()) for m in _CLAUSE.finditer(sentence)]
    if len(clauses) <= 1:
        return 0, len(sentence.rstrip("。！？；.!?"))

    def overlap(span: tuple[int, int]) -> int:
        return sum(len(t) for t in terms if t in folded[span[0] : span[1]])

    s, e = max(clauses, key=overlap)
    while e > s and sentence[e - 1] in "，；：,;:。！？.!? ":
        e -= 1
    return s, e
