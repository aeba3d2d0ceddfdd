"""How closely each sentence of a passage matches a question: the idf share of the question's
terms it holds, blended with its embedding similarity on the shared cosine scale.

The heuristic reader chooses its answer sentence by this score; the pipeline also weighs a trained
reader's span by the score of the sentence that holds it, because a span's probability is
normalised within its own passage only: a sure span in a passage about something else (one
project's 20亿元) would otherwise outrank a less sure one in the sentence that says what was asked
(the seven projects' total 31.9亿元).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from embeddings.encoder import Encoder
from qa.reading.reader import ScoredSpan, SentenceScores
from qa.retrieval.cosine_scale import CosineScale
from qa.text import normalize, query_terms, split_sentences

LEXICAL_WEIGHT = 0.6  # the rest is embedding similarity


class SentenceRelevance:
    """Score passage sentences against a question; sentence vectors come from the index when it has them."""

    def __init__(
        self,
        encoder: Encoder,
        idf: Callable[[str], float],
        scale: CosineScale,
        known: dict[str, np.ndarray] | None = None,
        cache_size: int = 50_000,
    ) -> None:
        self.encoder = encoder
        self.scale = scale  # the model's cosine scale, so the score means the same for every model
        self.idf = idf
        self._known = known or {}  # sentence vectors computed at index time
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()  # sentences met since (other passages)
        self._cache_size = cache_size

    def score(self, question: str, question_vector: np.ndarray, texts: Sequence[str]) -> list[SentenceScores]:
        """Per passage, (start, end, relevance 0..1) of each of its sentences, in text order."""
        self._prepare(texts)
        weights = {t: self.idf(t) for t in query_terms(question)}
        total = sum(weights.values()) or 1.0
        return [
            [
                ScoredSpan(s, e, self._relevance(text[s:e], weights, total, question_vector))
                for s, e in split_sentences(text)
            ]
            for text in texts
        ]

    def _prepare(self, texts: Iterable[str]) -> None:
        """Embed, in one call, the sentences of these passages that the index does not hold."""
        unique = {text[s:e] for text in texts for s, e in split_sentences(text)}
        missing = [t for t in unique if t not in self._known and t not in self._cache]
        if missing:
            for text, vec in zip(missing, self.encoder.encode_passages(missing)):
                self._cache[text] = vec
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)

    def _relevance(self, sentence: str, weights: dict[str, float], total: float, question_vector: np.ndarray) -> float:
        folded = normalize(sentence)
        lexical = sum(w for t, w in weights.items() if t in folded) / total
        vector = self._known.get(sentence)
        if vector is None:
            vector = self._cache.get(sentence)
        semantic = self.scale.semantic(float(np.dot(question_vector, vector)), sentence) if vector is not None else 0.0
        return LEXICAL_WEIGHT * lexical + (1 - LEXICAL_WEIGHT) * semantic


def focus(spans: Sequence[ScoredSpan], scored: Sequence[ScoredSpan], power: float) -> list[ScoredSpan]:
    """A passage's candidate spans (start, end, probability) reordered by probability times their
    sentence's relevance to the power `power`; scores are kept. A reader trained on one paragraph
    per question spreads its confidence over look-alike facts of a long passage (two sums, two
    dates); the sentence that repeats the question's words says which one was asked. 0 keeps the
    reader's order."""
    if power <= 0 or len(spans) < 2:
        return list(spans)
    return sorted(spans, key=lambda c: -c[2] * max(at(scored, c[0]), 1e-6) ** power)


def at(scored: Sequence[ScoredSpan], start: int) -> float:
    """The relevance of the sentence holding character `start` (0 when none does)."""
    for s, e, value in scored:
        if s <= start < e:
            return value
    return 0.0
