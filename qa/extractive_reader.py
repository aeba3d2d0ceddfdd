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
from typing import Any, Sequence

import numpy as np

from qa.reader import Reading
from qa.text import split_sentences
from qa.windows import make_windows

CONFIG = "reader.json"
WEIGHTS = "reader.safetensors"
MAX_ANSWER_TOKENS = 30


@dataclass
class ReaderSettings:
    base: str  # embedded model name or folder the reader was trained over
    max_length: int = 256
    stride: int = 64
    threshold: float = 0.5  # no-answer cut on this reader's score, chosen from labels at training time


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

    def read_many(self, questions: Sequence[str], passages: Sequence[Sequence[str]],
                  question_vectors: np.ndarray | None = None) -> list[list[Reading]]:
        pairs = [(qi, pi) for qi, texts in enumerate(passages) for pi in range(len(texts))]
        readings = [[Reading(None, None, 0.0) for _ in texts] for texts in passages]
        if not pairs:
            return readings
        windows = make_windows(self.tokenizer, [questions[q] for q, _ in pairs],
                               [passages[q][p] for q, p in pairs], self.settings.max_length, self.settings.stride)
        starts, ends = self._logits(windows)
        for w in range(len(windows)):
            q, p = pairs[windows.pair[w]]
            found = best_span(starts[w], ends[w], windows.offsets[w])
            if found is not None and found[2] > readings[q][p].score:
                text = passages[q][p]
                s, e = found[0], found[1]
                readings[q][p] = Reading((s, e), _sentence(text, s, e), found[2])
        return readings

    def _logits(self, windows: Any) -> tuple[np.ndarray, np.ndarray]:
        import torch

        starts, ends = [], []
        with torch.inference_mode():
            for lo in range(0, len(windows), self.batch_size):
                batch = {k: torch.from_numpy(v) for k, v in windows.batch(slice(lo, lo + self.batch_size)).items()}
                out = self.model(**batch)
                starts.append(out.start_logits.float().numpy())
                ends.append(out.end_logits.float().numpy())
        return np.concatenate(starts), np.concatenate(ends)


def best_span(start_logits: np.ndarray, end_logits: np.ndarray, offsets: list[tuple[int, int] | None],
              max_tokens: int = MAX_ANSWER_TOKENS) -> tuple[int, int, float] | None:
    """The passage span with the highest P(start) * P(end), end within max_tokens of start: (start, end, p)."""
    valid = np.array([o is not None for o in offsets])
    if not valid.any():
        return None
    ps, pe = _softmax(start_logits), _softmax(end_logits)  # over the whole window, so mass on [CLS] means "not here"
    ps, pe = np.where(valid, ps, 0.0), np.where(valid, pe, 0.0)
    n = len(offsets)
    scores = np.triu(np.outer(ps, pe)) - np.triu(np.ones((n, n)), k=max_tokens)  # end >= start, short spans only
    s, e = np.unravel_index(int(np.argmax(scores)), scores.shape)
    if scores[s, e] <= 0:
        return None
    return offsets[s][0], offsets[e][1], float(scores[s, e])  # type: ignore[index]


def _softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - x.max())
    return z / z.sum()


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    for s, e in split_sentences(text):
        if s <= start < e:
            return s, max(e, end)
    return start, end


def load_reader(folder: str | Path, batch_size: int = 16) -> ExtractiveReader:
    """Load a trained reader folder over its installed base model (offline)."""
    from safetensors.torch import load_file
    from transformers import AutoTokenizer, BertForQuestionAnswering
    from transformers.utils import logging as hf_logging

    from embeddings.encoder import resolve_model

    hf_logging.set_verbosity_error()  # the head is "missing" from the base model until the trained weights load
    hf_logging.disable_progress_bar()

    folder = Path(folder)
    settings = ReaderSettings(**json.loads((folder / CONFIG).read_text(encoding="utf-8"))["settings"])
    _, base = resolve_model(settings.base)
    model = BertForQuestionAnswering.from_pretrained(base, local_files_only=True)
    trained = {k: v.float() for k, v in load_file(str(folder / WEIGHTS)).items()}
    missing = set(trained) - set(model.state_dict())
    if missing:
        raise ValueError(f"{folder / WEIGHTS} holds weights the base model '{settings.base}' lacks: {sorted(missing)[:3]}")
    model.load_state_dict(trained, strict=False)
    tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
    return ExtractiveReader(model, tokenizer, settings, batch_size)
