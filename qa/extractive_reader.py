"""A trained extractive reader: start/end logits over the passage tokens, spans mapped to code points.

The model is transformers' `BertForQuestionAnswering` over an embedded encoder. What ships in
`models/<name>/` is only what training changed (`reader.safetensors`, fp16) plus `reader.json`;
the frozen word embeddings come from the installed base model, so the folder stays small and
loading needs no network.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from functools import lru_cache
from typing import Any, Iterator, Sequence

import numpy as np

from qa import answer_fit, credits
from qa.answer_edges import Edges
from qa.reader import Reading, Scored
from qa.script import fold
from qa.sentence_relevance import focus
from qa.text import split_sentences
from qa.windows import make_windows

CONFIG = "reader.json"
WEIGHTS = "reader.safetensors"
MAX_ANSWER_TOKENS = 30
QUESTIONS = ("chinese", "other", "any")  # which questions a reader is given (ReaderSettings.questions)
NBEST = 20  # candidate spans kept per passage for the answer-type choice (qa.answer_fit)


@dataclass
class ReaderSettings:
    base: str  # embedded model name or folder the reader was trained over
    max_length: int = 256
    stride: int = 64
    # Chosen from labelled data by `ragqa calibrate-reader` (qa.calibration), never by hand:
    threshold: float = 0.0  # no-answer cut on the combined score
    retrieval_weight: float = 0.0  # exponent of the retrieval score in the combined score
    quantize: bool = False  # int8 dynamic quantization of the linear layers when reading
    # The answer-type choice over the n-best (qa.answer_fit.choose), also chosen by calibration:
    type_ratio: float = 0.0  # a typed runner-up must score at least this share of the passage's best span
    type_penalty: float = 1.0  # combined-score factor of a passage with no span of the asked form
    # The answer sentence's share of the retrieval evidence (answering.blend_evidence), also calibrated.
    sentence_share: float = 0.0
    # Power of the sentence's relevance when choosing among a passage's spans (sentence_relevance.focus).
    sentence_focus: float = 0.0
    # The heuristic reader's score at which its answer stands in when this reader abstains (None: never).
    fallback_threshold: float | None = None
    # Which questions this reader is given: "chinese" (written mostly in Chinese characters), "other"
    # (the rest) or "any" (qa.reader_router). Set from measured reading in each language, not by base.
    questions: str = "chinese"

    def __post_init__(self) -> None:
        if self.questions not in QUESTIONS:
            raise ValueError(f"reader setting 'questions' must be one of {', '.join(QUESTIONS)}, not {self.questions!r}")


class ExtractiveReader:
    """Read passages with a QA model; a span's score is P(start) * P(end) within its window."""

    def __init__(self, model: Any, tokenizer: Any, settings: ReaderSettings, batch_size: int = 16) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.settings = settings
        self.batch_size = batch_size

    @property
    def threshold(self) -> float:
        return self.settings.threshold

    @property
    def retrieval_weight(self) -> float:
        return self.settings.retrieval_weight

    def read_many(self, questions: Sequence[str], passages: Sequence[Sequence[str]],
                  question_vectors: np.ndarray | None = None,
                  sentences: Scored | None = None) -> list[list[Reading]]:
        """Read each question's passages; `sentences` (their scored sentences) steer the choice among
        a passage's spans when the settings give them a power (`sentence_focus`)."""
        pairs = [(qi, pi) for qi, texts in enumerate(passages) for pi in range(len(texts))]
        readings = [[Reading(None, None, 0.0) for _ in texts] for texts in passages]
        if not pairs:
            return readings
        # Training folded Traditional Chinese to Simplified; both folds keep every offset.
        folded = [fold(passages[q][p]) for q, p in pairs]
        windows = make_windows(self.tokenizer, [fold(questions[q]) for q, _ in pairs], folded,
                               self.settings.max_length, self.settings.stride)
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
            ranked = sorted(((s, e, sc) for (s, e), sc in spans.items()
                             if credited[q] or not credits.is_credit(text, s, e)), key=lambda c: -c[2])[:NBEST]
            ranked = edges[q].apply(folded[pair], ranked)  # whole words, and the question's wording, fix where spans start and end
            # `ranked` stays in the reader's order: calibration redoes the choice under other settings.
            order = focus(ranked, sentences[q][p], self.settings.sentence_focus) if sentences else ranked
            chosen = answer_fit.choose(text, order, wants[q], self.settings.type_ratio, penalty)
            if chosen is not None:
                s, e, score = chosen
                readings[q][p] = Reading((s, e), _sentence(text, s, e), score, ranked)
        return readings

    def _logits(self, windows: Any) -> Iterator[tuple[int, tuple[np.ndarray, np.ndarray]]]:
        """(window, (start logits, end logits)) cut to the window's length; windows batched by length."""
        import torch

        lengths = windows.lengths()
        order = np.argsort(-lengths, kind="stable")  # similar lengths share a batch: less padding
        # int8 dynamic quantization scales activations per tensor, i.e. per batch: a window's scores
        # would depend on which windows (of this question or of others asked with it) share its
        # batch. One window per call keeps every answer the same however it is asked (~15% slower).
        size = 1 if self.settings.quantize else self.batch_size
        with torch.inference_mode():
            for lo in range(0, len(order), size):
                rows = order[lo : lo + size]
                out = self.model(**{k: torch.from_numpy(v) for k, v in windows.batch(rows).items()})
                starts, ends = out.start_logits.float().numpy(), out.end_logits.float().numpy()
                for i, w in enumerate(rows):
                    n = int(lengths[w])
                    yield int(w), (starts[i, :n], ends[i, :n])


def best_span(start_logits: np.ndarray, end_logits: np.ndarray, offsets: list[tuple[int, int] | None],
              max_tokens: int = MAX_ANSWER_TOKENS) -> tuple[int, int, float] | None:
    """The passage span with the highest P(start) * P(end), end within max_tokens of start: (start, end, p)."""
    found = nbest_spans(start_logits, end_logits, offsets, 1, max_tokens)
    return found[0] if found else None


def nbest_spans(start_logits: np.ndarray, end_logits: np.ndarray, offsets: list[tuple[int, int] | None],
                n: int, max_tokens: int = MAX_ANSWER_TOKENS) -> list[tuple[int, int, float]]:
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
    return [(offsets[i // width][0], offsets[i % width][1], float(scores[i])) for i in top.tolist()]  # type: ignore[index]


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


def record_calibration(folder: str | Path, chosen: dict[str, Any]) -> None:
    """Store a calibration's threshold and retrieval weight (and how they were chosen) in reader.json."""
    path = Path(folder) / CONFIG
    meta = json.loads(path.read_text(encoding="utf-8"))
    for key in ("threshold", "retrieval_weight", "type_ratio", "type_penalty", "sentence_share", "sentence_focus"):
        if key in chosen:
            meta["settings"][key] = chosen[key]
    meta["settings"]["fallback_threshold"] = chosen.get("fallback", {}).get("threshold")
    meta["calibration"] = {k: chosen[k] for k in ("settings", "cases", "chosen", "fallback") if k in chosen}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(path)


def load_reader(folder: str | Path, batch_size: int = 16) -> ExtractiveReader:
    """Load a trained reader folder over its installed base model (offline)."""
    from transformers import AutoTokenizer, BertForQuestionAnswering
    from transformers.utils import logging as hf_logging

    from embeddings.encoder import resolve_model

    hf_logging.set_verbosity_error()  # the head is "missing" from the base model until the trained weights load
    hf_logging.disable_progress_bar()

    folder = Path(folder)
    settings = ReaderSettings(**json.loads((folder / CONFIG).read_text(encoding="utf-8"))["settings"])
    _, base = resolve_model(settings.base)
    model = BertForQuestionAnswering.from_pretrained(base, local_files_only=True)
    load_weights(model, folder, settings.base)
    tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
    if settings.quantize:
        model = quantize(model)
    return ExtractiveReader(model, tokenizer, settings, batch_size)


def load_weights(model: Any, folder: str | Path, base: str) -> None:
    """Put a reader folder's trained weights (fp16 on disk) over a base model loaded with a fresh head."""
    from safetensors.torch import load_file

    path = Path(folder) / WEIGHTS
    trained = {k: v.float() for k, v in load_file(str(path)).items()}
    missing = set(trained) - set(model.state_dict())
    if missing:
        raise ValueError(f"{path} holds weights the base model '{base}' lacks: {sorted(missing)[:3]}")
    model.load_state_dict(trained, strict=False)


def share_word_embeddings(reader: ExtractiveReader, embedder: Any) -> bool:
    """Point the reader's word embeddings at the embedding model's own matrix when it is the same one.

    A reader over the serving embedding model's base (multilingual-e5-small: 250k × 384, 384 MB in
    fp32) froze that matrix in training, so both hold identical copies; one is kept. `embedder` is
    the sentence-transformers model. Returns whether they are shared now."""
    import torch

    try:
        theirs = embedder[0].auto_model.embeddings.word_embeddings.weight
        mine = reader.model.bert.embeddings.word_embeddings
    except (AttributeError, IndexError, KeyError, TypeError):
        return False
    if mine.weight is theirs:
        return True
    if mine.weight.shape != theirs.shape or mine.weight.dtype != theirs.dtype or not torch.equal(mine.weight, theirs):
        return False
    mine.weight = theirs
    return True


def quantize(model: Any) -> Any:
    """int8 weights for every linear layer, activations quantized on the fly (CPU inference only)."""
    import warnings

    import torch

    with warnings.catch_warnings():  # torch points to torchao for new code; the eager API still works
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(model.eval(), {torch.nn.Linear}, dtype=torch.qint8)
