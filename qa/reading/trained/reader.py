"""A trained extractive reader: start/end logits over the passage tokens, spans mapped to code points.

A span's probability is P(start)·P(end) within its window; of a passage's best spans, the
question's wording fixes the edges (`edges`), photo credits are dropped (`credits`), the answer
sentence may reorder them (`focus`) and a runner-up of the asked form may win (`answer_fit`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import lru_cache
from typing import Any

import numpy as np

from qa.reading.reader import Policy, Reader, Reading, Scored, ScoredSpan
from qa.reading.relevance import focus
from qa.reading.trained import answer_fit, credits
from qa.reading.trained.edges import Edges
from qa.reading.trained.settings import ReaderSettings
from qa.reading.trained.span_logits import SpanLogits, TorchSpans
from qa.reading.trained.windows import Windows, make_windows
from qa.text import fold, split_sentences

MAX_ANSWER_TOKENS = 30
NBEST = 20  # candidate spans kept per passage for the answer-type choice (answer_fit)


class ExtractiveReader:
    """Read passages with a QA model; a span's score is P(start) * P(end) within its window."""

    def __init__(
        self,
        spans: SpanLogits,
        tokenizer: Any,
        settings: ReaderSettings,
        batch_size: int = 16,
        inference: str = "torch",
    ) -> None:
        """
        Args:
            spans: the engine giving start/end logits (`span_logits`: torch, or ONNX Runtime).
            inference: its name, for /readyz and reports.
        """
        self.spans = spans
        self.tokenizer = tokenizer
        self.settings = settings
        self.batch_size = batch_size
        self.inference = inference

    @property
    def model(self) -> Any:
        """The torch model, when this reader runs on torch (None on ONNX Runtime)."""
        return self.spans.model if isinstance(self.spans, TorchSpans) else None

    @property
    def name(self) -> str:
        engine = "" if self.inference == "torch" else f", {self.inference}"
        return f"{type(self).__name__} over {self.settings.base}{engine}"

    @property
    def fallback(self) -> Reader | None:
        return None  # the router pairs it with the heuristic reader

    def policy(self, question: str) -> Policy:
        s = self.settings
        return Policy(s.threshold, s.retrieval_weight, s.fallback_threshold, float(s.sentence_share))

    def read_many(
        self,
        questions: Sequence[str],
        passages: Sequence[Sequence[str]],
        question_vectors: np.ndarray | None = None,
        sentences: Scored | None = None,
    ) -> list[list[Reading]]:
        """Read each question's passages; `sentences` (their scored sentences) steer the choice among
        a passage's spans when the settings give them a power (`sentence_focus`)."""
        pairs = [(qi, pi) for qi, texts in enumerate(passages) for pi in range(len(texts))]
        readings = [[Reading(None, None, 0.0) for _ in texts] for texts in passages]
        if not pairs:
            return readings
        # Training folded Traditional Chinese to Simplified; both folds keep every offset.
        folded = [fold(passages[q][p]) for q, p in pairs]
        windows = make_windows(
            self.tokenizer,
            [fold(questions[q]) for q, _ in pairs],
            folded,
            self.settings.max_length,
            self.settings.stride,
        )
        found: list[dict[tuple[int, int], float]] = [{} for _ in pairs]
        for w, (starts, ends) in self._logits(windows):
            spans = found[windows.pair[w]]
            for s, e, prob in nbest_spans(starts, ends, windows.offsets[w][: len(starts)], NBEST):
                spans[(s, e)] = max(prob, spans.get((s, e), 0.0))  # a span seen by two overlapping windows
        wants = [answer_fit.expected(q) for q in questions]
        edges = [Edges(q) for q in questions]
        credited = [credits.asks_credit(q) for q in questions]
        penalty = answer_fit.reader_penalty(self.settings.type_penalty, self.settings.retrieval_weight)
        for pair, spans in enumerate(found):
            q, p = pairs[pair]
            text = passages[q][p]
            ranked = sorted(
                (
                    ScoredSpan(s, e, sc)
                    for (s, e), sc in spans.items()
                    if credited[q] or not credits.is_credit(text, s, e)
                ),
                key=lambda c: -c[2],
            )[:NBEST]
            ranked = edges[q].apply(
                folded[pair], ranked
            )  # whole words, and the question's wording, fix where spans start and end
            # `ranked` stays in the reader's order: calibration redoes the choice under other settings.
            order = focus(ranked, sentences[q][p], self.settings.sentence_focus) if sentences else ranked
            chosen = answer_fit.choose(text, order, wants[q], self.settings.type_ratio, penalty)
            if chosen is not None:
                s, e, score = chosen
                readings[q][p] = Reading((s, e), _sentence(text, s, e), score, ranked)
        return readings

    def _logits(self, windows: Windows) -> Iterator[tuple[int, tuple[np.ndarray, np.ndarray]]]:
        """(window, (start logits, end logits)) cut to the window's length; windows batched by length."""
        lengths = windows.lengths()
        order = np.argsort(-lengths, kind="stable")  # similar lengths share a batch: less padding
        # int8 dynamic quantization scales activations per tensor, i.e. per batch: a window's scores
        # would depend on which windows (of this question or of others asked with it) share its
        # batch. One window per call keeps every answer the same however it is asked.
        size = 1 if self.spans.per_window else self.batch_size
        for lo in range(0, len(order), size):
            rows = order[lo : lo + size]
            starts, ends = self.spans(windows.batch(rows))
            for i, w in enumerate(rows):
                n = int(lengths[w])
                yield int(w), (starts[i, :n], ends[i, :n])


def nbest_spans(
    start_logits: np.ndarray,
    end_logits: np.ndarray,
    offsets: list[tuple[int, int] | None],
    n: int,
    max_tokens: int = MAX_ANSWER_TOKENS,
) -> list[ScoredSpan]:
    """The n passage spans with the highest P(start) * P(end), best first: [(start, end, p)].

    Only spans inside the passage, end >= start and shorter than max_tokens tokens, with p > 0.
    """
    valid = np.array([o is not None for o in offsets])
    if not valid.any() or n <= 0:
        return []
    ps, pe = _softmax(start_logits), _softmax(end_logits)  # over the whole window, so mass on [CLS] means "not here"
    ps, pe = np.where(valid, ps, 0.0), np.where(valid, pe, 0.0)
    scores = (np.outer(ps, pe) * _band(len(offsets), max_tokens)).ravel()  # end >= start, short spans only
    n = min(n, int((scores > 0).sum()))
    if n == 0:
        return []
    top = np.argpartition(-scores, n - 1)[:n]
    top = top[np.argsort(-scores[top], kind="stable")]
    width = len(offsets)
    return [ScoredSpan(offsets[i // width][0], offsets[i % width][1], float(scores[i])) for i in top.tolist()]


@lru_cache(maxsize=64)
def _band(n: int, width: int) -> np.ndarray:
    """1 where 0 <= end - start < width, else 0 (n x n)."""
    return np.triu(np.ones((n, n))) - np.triu(np.ones((n, n)), k=width)


def _softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - x.max())
    return z / z.sum()


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    for s, e in split_sentences(text):
        if s <= start < e:
            return s, max(e, end)
    return start, end
