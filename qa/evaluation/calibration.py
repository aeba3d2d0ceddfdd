"""Choose a trained reader's no-answer threshold and retrieval weight from labelled questions.

Each labelled question is asked twice: as it is (the corpus holds the answer) and with every
retrieved passage that holds a gold answer removed (the corpus does not), so both sides of the
no-answer decision are measured on real retrieval output, plus any question labelled
unanswerable. The choice maximises the SQuAD 2.0 overall F1 (an abstention scores 1 on a question
without an answer and 0 on one with it), the criterion of SQuAD 2.0's own `find_best_thresh`,
with the two kinds weighted by the share of questions expected to have no answer in the corpus
(`no_answer_share`; 0.5 by default, as in SQuAD 2.0, whose questions are about half unanswerable).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from itertools import product
from typing import Any

import numpy as np

from qa.answering import Retrieval, blend_evidence, span_score
from qa.evaluation.datasets import Example
from qa.evaluation.metrics import contains_answer, exact_match, f1
from qa.pipeline import Pipeline
from qa.reading.reader import Reader, Reading, ScoredSpan, SentenceScores
from qa.reading.relevance import at, focus
from qa.reading.trained import answer_fit

WEIGHTS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
EXTRA = 5  # passages retrieved beyond top_k, to fill the list when the gold ones are removed
# (type_ratio, type_penalty) pairs of the answer-type choice (qa.reading.trained.answer_fit.choose);
# (0, 1) leaves scores alone.
TYPINGS = tuple((r, p) for r in (0.0, 0.05, 0.2) for p in (1.0, 0.8, 0.6, 0.4, 0.2))
# Shares of the answer sentence's relevance in the retrieval evidence (answering.blend_evidence).
SHARES = (0.0, 0.25, 0.5, 0.75, 1.0)
# Powers of the sentence's relevance in the choice among a passage's spans (sentence_relevance.focus).
FOCUSES = (0.0, 1.0, 2.0, 4.0)


@dataclass
class Case:
    """One decision to make: the gold answers ([] when the passages hold none) and, per passage,
    the reader's best span, its score and the passage's retrieval evidence (`Pipeline.evidence`)."""

    answers: list[str]
    spans: list[str | None]
    reader: list[float]
    retrieval: list[float]
    # What the answer-type choice needs to be redone under other settings (empty: spans are final).
    question: str = ""
    texts: list[str] = field(default_factory=list)
    candidates: list[list[ScoredSpan]] = field(default_factory=list)
    # The heuristic reader's best answer over the same passages and its score (the fallback).
    fallback: tuple[str | None, float] = (None, 0.0)
    # Per passage: where its span starts, and its sentences' relevance to the question
    # (SentenceRelevance.score), so the span's sentence can join the evidence (empty: it does not).
    starts: list[int | None] = field(default_factory=list)
    sentences: list[SentenceScores] = field(default_factory=list)

    def sentence_relevance(self) -> list[float | None]:
        """Per passage, the relevance of the sentence holding its span (None: not known)."""
        if not self.sentences:
            return [None] * len(self.spans)
        return [None if start is None else at(scored, start) for start, scored in zip(self.starts, self.sentences)]

    def evidence(self, share: float) -> list[float]:
        """Each passage's retrieval evidence with its span's sentence given this share."""
        return [
            passage if sentence is None else blend_evidence(passage, sentence, share)
            for passage, sentence in zip(self.retrieval, self.sentence_relevance())
        ]

    def retyped(self, ratio: float, penalty: float, weight: float = 0.0, power: float = 0.0) -> Case:
        """This case with each passage's span and score chosen under these answer-type settings
        (penalty is the factor on the combined score at this retrieval weight) and this sentence focus."""
        if not self.candidates:
            return self
        want = answer_fit.expected(self.question)
        penalty = answer_fit.reader_penalty(penalty, weight)
        spans: list[str | None] = []
        scores: list[float] = []
        starts: list[int | None] = []
        sentences = self.sentences or [
            [] for _ in self.texts
        ]  # none: every span weighs alike, the reader's order stays
        for text, cands, scored in zip(self.texts, self.candidates, sentences):
            chosen = answer_fit.choose(text, focus(cands, scored, power), want, ratio, penalty)
            spans.append(None if chosen is None else text[chosen[0] : chosen[1]])
            scores.append(0.0 if chosen is None else chosen[2])
            starts.append(None if chosen is None else chosen[0])
        return replace(self, spans=spans, reader=scores, starts=starts)


@dataclass
class Point:
    threshold: float
    answered: float  # share of answerable cases given an answer
    em: float  # over answerable cases, an abstention scoring 0
    f1: float
    abstained: float  # share of cases without an answer where the pipeline abstained
    overall_f1: float  # SQuAD 2.0: answerable F1 and abstention on the rest, weighted by no_answer_share


def collect(
    pipeline: Pipeline,
    reader: Reader,
    examples: Sequence[Example],
    top_k: int,
    batch_size: int = 8,
    fallback: Reader | None = None,
) -> list[Case]:
    """Read each question's passages once and derive its answerable and gold-removed cases.

    Passages come from the pipeline's own retrieval (`Pipeline.retrieve`) and are weighed by its own
    evidence. With `fallback` (the heuristic reader), each case also records that reader's best
    answer over the same passages, to choose when it may answer for a trained reader that abstains."""
    cases: list[Case] = []
    for lo in range(0, len(examples), batch_size):
        batch = list(examples[lo : lo + batch_size])
        retrieved = pipeline.retrieve([ex.question for ex in batch], top_k + EXTRA)
        questions = [r.question for r in retrieved]
        texts = [r.texts for r in retrieved]
        vectors = np.stack([r.vector for r in retrieved])
        scored = [r.sentences for r in retrieved]
        readings = reader.read_many(questions, texts, vectors, scored)
        others = fallback.read_many(questions, texts, vectors, scored) if fallback is not None else [[] for _ in batch]
        for ex, retrieval, rs, os in zip(batch, retrieved, readings, others):
            cases += _cases(pipeline, ex, retrieval, rs, os, top_k)
    return cases


def _cases(
    pipeline: Pipeline, ex: Example, retrieval: Retrieval, readings: list[Reading], others: list[Reading], top_k: int
) -> list[Case]:
    """One question's cases: as asked, and (answerable ones) with the passages holding its answer removed."""
    texts = retrieval.texts
    gold = [contains_answer(t, ex.answers) for t in texts] if ex.answerable else [False] * len(texts)
    shown = list(range(min(top_k, len(texts))))
    without = [i for i, g in enumerate(gold) if not g][:top_k]
    views = [(ex.answers, shown), ([], without)] if ex.answerable else [([], shown)]
    answers_at = [reading.answer for reading in readings]
    cases = []
    for answers, rows in views:
        if not rows:
            continue
        cases.append(
            Case(
                answers,
                spans=[_text(texts[i], answers_at[i]) for i in rows],
                reader=[readings[i].score for i in rows],
                retrieval=[pipeline.evidence(retrieval.hits[i], ex.question) for i in rows],
                question=ex.question,
                texts=[texts[i] for i in rows],
                candidates=[readings[i].candidates for i in rows],
                fallback=_best(texts, others, rows),
                starts=[None if (span := answers_at[i]) is None else span[0] for i in rows],
                sentences=[retrieval.sentences[i] for i in rows],
            )
        )
    return cases


def _text(text: str, span: tuple[int, int] | None) -> str | None:
    return None if span is None else text[span[0] : span[1]]


def _best(texts: list[str], readings: list[Reading], rows: list[int]) -> tuple[str | None, float]:
    """The highest-scoring span among these passages' readings (the heuristic reader's own rule)."""
    best: tuple[str | None, float] = (None, 0.0)
    for i in rows:
        if i < len(readings) and (span := readings[i].answer) is not None and readings[i].score > best[1]:
            best = (_text(texts[i], span) or None, readings[i].score)
    return best


def decide(case: Case, weight: float, share: float = 0.0) -> tuple[str | None, float]:
    """The best span over the case's passages and its score (the pipeline's `span_score`)."""
    best: tuple[str | None, float] = (None, 0.0)
    for span, reader, passage, sentence in zip(case.spans, case.reader, case.retrieval, case.sentence_relevance()):
        score = span_score(reader, passage, sentence, weight, share)
        if span and score > best[1]:
            best = (span, score)
    return best


def curve(
    cases: Sequence[Case], weight: float, no_answer_share: float | None = None, share: float = 0.0
) -> list[Point]:
    """The trade-off at every threshold that changes a decision (each case's best score).

    no_answer_share None weighs every case alike (the cases' own mix)."""
    decided = [decide(c, weight, share) for c in cases]
    answerable = np.array([bool(c.answers) for c in cases])
    scores = np.array([s for _, s in decided])
    ems = np.array([exact_match(p, c.answers) if c.answers else 0.0 for (p, _), c in zip(decided, cases)])
    f1s = np.array([f1(p, c.answers) if c.answers else 0.0 for (p, _), c in zip(decided, cases)])
    has_span = np.array([p is not None for p, _ in decided])
    n_ans, n_none = max(1, int(answerable.sum())), max(1, int((~answerable).sum()))
    points = []
    for t in sorted({0.0, *scores[has_span].tolist()}):
        answer = has_span & (scores >= t)
        right = np.where(answerable, np.where(answer, f1s, 0.0), np.where(answer, 0.0, 1.0))
        if no_answer_share is None:
            overall = float(100 * right.mean())
        else:
            overall = float(
                100
                * (
                    (1 - no_answer_share) * right[answerable].sum() / n_ans
                    + no_answer_share * right[~answerable].sum() / n_none
                )
            )
        points.append(
            Point(
                float(t),
                float((answer & answerable).sum() / n_ans),
                float(100 * np.where(answer, ems, 0.0)[answerable].sum() / n_ans),
                float(100 * np.where(answer, f1s, 0.0)[answerable].sum() / n_ans),
                float((~answer & ~answerable).sum() / n_none),
                overall,
            )
        )
    return points


def choose(
    cases: Sequence[Case],
    weights: Sequence[float] = WEIGHTS,
    no_answer_share: float | None = 0.5,
    typings: Sequence[tuple[float, float]] = ((0.0, 1.0),),
    shares: Sequence[float] = (0.0,),
    focuses: Sequence[float] = (0.0,),
) -> dict[str, Any]:
    """The retrieval weight, answer-type settings, sentence share and focus, and threshold with the
    best overall F1, and the curve at that choice."""
    if not cases:
        raise ValueError("no labelled questions to calibrate on")
    if no_answer_share is not None and not (any(c.answers for c in cases) and any(not c.answers for c in cases)):
        raise ValueError("calibrating needs questions with an answer in the passages and without one")
    best: dict[str, Any] | None = None
    for power, (ratio, penalty), weight in product(focuses, typings, weights):
        retyped = [c.retyped(ratio, penalty, weight, power) for c in cases]
        for share in shares if weight > 0 else (0.0,):  # without retrieval weight there is no evidence to blend
            points = curve(retyped, weight, no_answer_share, share)
            top = max(points, key=lambda p: (p.overall_f1, -p.threshold))
            if best is None or top.overall_f1 > best["chosen"]["overall_f1"]:
                best = {
                    "retrieval_weight": weight,
                    "type_ratio": ratio,
                    "type_penalty": penalty,
                    "sentence_share": share,
                    "sentence_focus": power,
                    "threshold": top.threshold,
                    "chosen": asdict(top),
                    "curve": [asdict(p) for p in points],
                }
    assert best is not None
    best["cases"] = {
        "answerable": sum(bool(c.answers) for c in cases),
        "without_answer": sum(not c.answers for c in cases),
    }
    best["no_answer_share"] = no_answer_share
    return best


def choose_fallback(
    cases: Sequence[Case], chosen: dict[str, Any], no_answer_share: float | None = 0.5
) -> dict[str, Any]:
    """The lowest fallback-reader score at which its answer replaces the trained reader's abstention,
    by the same overall F1; threshold None when no such score beats abstaining (no fallback).

    Returns the threshold, the overall F1 without and with the fallback, and how many cases it answered."""
    weight, threshold, share = chosen["retrieval_weight"], chosen["threshold"], chosen.get("sentence_share", 0.0)
    retyped = [
        c.retyped(
            chosen.get("type_ratio", 0.0), chosen.get("type_penalty", 1.0), weight, chosen.get("sentence_focus", 0.0)
        )
        for c in cases
    ]
    rights, fallbacks = [], []
    for case in retyped:
        span, score = decide(case, weight, share)
        answered = span is not None and score >= threshold
        rights.append(_right(span if answered else None, case.answers))
        fallbacks.append(None if answered or case.fallback[0] is None else case.fallback)
    base = _overall(rights, retyped, no_answer_share)
    result: dict[str, Any] = {"threshold": None, "overall_f1": base, "without": base, "answered": 0}
    for t in sorted({fb[1] for fb in fallbacks if fb is not None}):
        given = [fb is not None and fb[1] >= t for fb in fallbacks]
        right = [_right(fb[0], c.answers) if g else r for r, g, fb, c in zip(rights, given, fallbacks, retyped)]  # type: ignore[index]
        overall = _overall(right, retyped, no_answer_share)
        if overall > result["overall_f1"]:
            result = {"threshold": t, "overall_f1": overall, "without": base, "answered": int(sum(given))}
    return result


def _right(prediction: str | None, answers: list[str]) -> float:
    """SQuAD 2.0 credit: F1 on a question with an answer, 1 for abstaining on one without."""
    if answers:
        return f1(prediction, answers) if prediction is not None else 0.0
    return float(prediction is None)


def _overall(rights: Sequence[float], cases: Sequence[Case], no_answer_share: float | None) -> float:
    right, answerable = np.array(rights, dtype=float), np.array([bool(c.answers) for c in cases])
    if no_answer_share is None:
        return float(100 * right.mean())
    return float(100 * ((1 - no_answer_share) * right[answerable].mean() + no_answer_share * right[~answerable].mean()))


def thin(points: Sequence[dict[str, Any]], n: int = 12) -> list[dict[str, Any]]:
    """About n points spread evenly over the curve, for printing and docs."""
    if len(points) <= n:
        return list(points)
    picks = np.linspace(0, len(points) - 1, n).round().astype(int)
    return [points[i] for i in sorted(set(picks.tolist()))]
