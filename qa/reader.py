"""Readers pick the answer span in each retrieved passage.

`Reader` is the one interface the pipeline knows; `HeuristicReader` is the untrained picker:
choose the sentence by lexical and embedding similarity to the question, then the span of the
type the question asks for (see `answer_types`). A trained extractive reader can replace it by
implementing `read_many`.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Protocol, Sequence

import numpy as np

from embeddings.encoder import Encoder
from qa.alignment import aligned_span
from qa.cosine_scale import CosineScale
from qa.answer_types import DATE, NUMBER, OTHER, Candidate, QuestionType, candidates, question_type
from qa.script import to_simplified
from qa.text import find_all, normalize, query_terms, split_sentences

_CLAUSE = re.compile(r"[^，；：,;:]+[，；：,;:]?")
_CLAUSE_MARK = re.compile(r"[，；：,;:]")
LEXICAL_WEIGHT = 0.6  # the rest is embedding similarity


@dataclass
class Reading:
    """A reader's verdict on one passage; offsets are code points into the passage text."""

    answer: tuple[int, int] | None
    sentence: tuple[int, int] | None
    score: float  # confidence that `answer` answers the question, 0..1
    # A trained reader's best spans in this passage, best first: (start, end, P(start)·P(end)).
    candidates: list[tuple[int, int, float]] = field(default_factory=list)


class Reader(Protocol):
    def read_many(self, questions: Sequence[str], passages: Sequence[Sequence[str]],
                  question_vectors: np.ndarray | None = None) -> list[list[Reading]]:
        """Read passages[i] (a list of texts) for questions[i]; the pipeline's question embeddings may be reused."""
        ...


class HeuristicReader:
    """Sentence choice by lexical + embedding similarity, then a span typed by the question."""

    def __init__(self, encoder: Encoder, idf: Callable[[str], float], scale: CosineScale,
                 known: dict[str, np.ndarray] | None = None, cache_size: int = 50_000) -> None:
        self.encoder = encoder
        self.scale = scale  # the model's cosine scale, so weights and threshold mean the same for every model
        self.idf = idf
        self._known = known or {}  # sentence vectors computed at index time
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()  # sentences met since (other passages)
        self._cache_size = cache_size

    def read_many(self, questions: Sequence[str], passages: Sequence[Sequence[str]],
                  question_vectors: np.ndarray | None = None) -> list[list[Reading]]:
        sentences = [[[(s, e) for s, e in split_sentences(text)] for text in texts] for texts in passages]
        unique = {text[s:e] for texts, sents in zip(passages, sentences) for text, spans in zip(texts, sents) for s, e in spans}
        self._embed(list(unique))
        qvecs = self.encoder.encode_queries(list(questions)) if question_vectors is None else question_vectors
        return [
            [self._read(q, qvec, text, spans) for text, spans in zip(texts, sents)]
            for q, qvec, texts, sents in zip(questions, qvecs, passages, sentences)
        ]

    def read(self, question: str, passages: Sequence[str]) -> list[Reading]:
        return self.read_many([question], [passages])[0]

    def _embed(self, texts: list[str]) -> None:
        missing = [t for t in texts if t not in self._known and t not in self._cache]
        if missing:
            for text, vec in zip(missing, self.encoder.encode_passages(missing)):
                self._cache[text] = vec
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def _read(self, question: str, qvec: np.ndarray, text: str, spans: list[tuple[int, int]]) -> Reading:
        if not spans:
            return Reading(None, None, 0.0)
        terms = query_terms(question)
        weights = {t: self.idf(t) for t in terms}
        total = sum(weights.values()) or 1.0
        scored = []
        for s, e in spans:
            sentence = text[s:e]
            folded = normalize(sentence)
            lexical = sum(w for t, w in weights.items() if t in folded) / total
            vector = self._known.get(sentence)
            if vector is None:
                vector = self._cache.get(sentence)
            semantic = self.scale.semantic(float(np.dot(qvec, vector)), sentence) if vector is not None else 0.0
            scored.append((LEXICAL_WEIGHT * lexical + (1 - LEXICAL_WEIGHT) * semantic, s, e))
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


def _pick(sentence: str, question: str, terms: list[str], qtype: QuestionType) -> tuple[int, int, float] | None:
    """The answer span in one sentence: (start, end, fit), from typed candidates and question alignment."""
    aligned = aligned_span(sentence, question)
    if aligned and normalize(sentence[aligned[0] : aligned[1]]) in normalize(question):
        aligned = None
    typed = _best_candidate(sentence, question, terms, candidates(sentence, qtype)) if qtype.kind != OTHER else None
    if typed and aligned and aligned[0] <= typed[0].start and typed[0].end <= aligned[1]:
        return typed[0].start, typed[0].end, 1.0  # both methods agree
    # Numbers and dates have reliable patterns; names from part-of-speech tags are noisier than alignment.
    if typed and (qtype.kind in (NUMBER, DATE) or not (aligned and aligned[2])):
        return typed[0].start, typed[0].end, typed[1]
    if aligned:
        return aligned[0], aligned[1], (0.85 if aligned[2] else 0.7) if qtype.kind == OTHER else 0.75
    if typed:
        return typed[0].start, typed[0].end, typed[1]
    return None


def _best_candidate(sentence: str, question: str, terms: list[str], cands: list[Candidate]) -> tuple[Candidate, float] | None:
    """The candidate that fits the type best and sits closest to the question's terms."""
    folded_q = normalize(question)
    folded = normalize(sentence)
    anchors = [(i, i + len(t)) for t in terms for i in find_all(folded, t)]
    best: tuple[float, Candidate] | None = None
    for cand in cands:
        if normalize(sentence[cand.start : cand.end]).strip() in folded_q:
            continue  # the question's own words are not its answer
        if anchors:
            distance = min(_distance(sentence, cand.start, cand.end, a, b) for a, b in anchors)
            nearness = 1.0 / (1.0 + distance / 25.0)
        else:
            nearness = 0.5
        value = cand.fit * (0.6 + 0.4 * nearness)
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
