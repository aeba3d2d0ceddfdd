"""Where an embedding model's cosines fall, so the reader reads them the same way for every model.

Models differ in how high cosine similarity runs, and one model differs by language: between two
unrelated sentences of one news text, m3e-small gives about 0.67 in Chinese and 0.74 in English,
multilingual-e5-small 0.86 in Chinese but 0.75 in English. The reader's weights and the no-answer
threshold were tuned on m3e-small's Chinese, so cosines are mapped affinely onto that scale.
The map is measured per model on two fixed reference texts (`qa/data/scale_reference_*.txt`: a
Chinese news page and an English one): every sentence is asked as a query against the others, and
the median and 99th percentile of those cosines are the two anchor points. A sentence written
mostly in Chinese characters is read with the Chinese anchors, any other with the English ones.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.encoder import Encoder
from embeddings.models import models_dir
from qa.text import is_mostly_cjk, split_sentences

# Where m3e-small's Chinese anchors fall on the scale the reader was tuned with, (cosine - 0.45) / 0.55:
# its median 0.6713 and 99th percentile 0.8483 on the Chinese reference text (tests/test_cosine_scale.py
# checks that m3e-small still maps to that scale).
REFERENCE_MEDIAN = 0.4024
REFERENCE_HIGH = 0.7241
_MIN_SENTENCE_CHARS = 8  # fragments such as "图为…" captions carry little meaning


@dataclass(frozen=True)
class Anchors:
    """Median and 99th-percentile cosine between unrelated sentences of one reference text."""

    median: float
    high: float

    def map(self, cosine: float) -> float:
        value = REFERENCE_MEDIAN + (cosine - self.median) * (REFERENCE_HIGH - REFERENCE_MEDIAN) / (
            self.high - self.median
        )
        return min(1.0, max(0.0, value))


@dataclass(frozen=True)
class CosineScale:
    """A model's anchors for text in Chinese characters (`han`) and for all other text (`other`)."""

    han: Anchors
    other: Anchors

    def semantic(self, cosine: float, text: str) -> float:
        """Similarity of a question to `text` on the shared 0..1 scale: 0 for unrelated, rising to 1."""
        return (self.han if is_mostly_cjk(text) else self.other).map(cosine)

    def to_dict(self) -> dict[str, dict[str, float]]:
        return {
            name: {"median": round(a.median, 6), "high": round(a.high, 6)}
            for name, a in (("han", self.han), ("other", self.other))
        }

    @classmethod
    def from_dict(cls, data: Any) -> CosineScale | None:
        """The scale stored in an index manifest, or None when absent or malformed."""
        try:
            anchors = [Anchors(float(data[k]["median"]), float(data[k]["high"])) for k in ("han", "other")]
        except (TypeError, KeyError, ValueError):
            return None
        if not all(-1.0 <= a.median < a.high <= 1.0 for a in anchors):
            return None
        return cls(*anchors)


def reference_sentences(language: str) -> list[str]:
    text = resources.files("qa").joinpath(f"data/scale_reference_{language}.txt").read_text(encoding="utf-8")
    sentences = [line[s:e] for line in text.splitlines() for s, e in split_sentences(line)]
    return list(dict.fromkeys(s for s in sentences if len(s) >= _MIN_SENTENCE_CHARS))


def measured(encoder: Encoder) -> CosineScale:
    """The model's scale, measured once per weights, engine and reference texts and then read from
    the model cache (an index build or a load of an older index no longer spends seconds on it)."""
    path = cache_path(encoder)
    try:
        cached = CosineScale.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        cached = None
    if cached is not None:
        return cached
    scale = measure(encoder)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as tmp:
            json.dump(scale.to_dict(), tmp)
        os.replace(tmp.name, path)
    except OSError:
        pass  # a read-only cache only costs the next build the same few seconds
    return scale


def cache_path(encoder: Encoder) -> Path:
    """Where the scale of this model, engine and reference texts is kept once measured."""
    texts = "\n".join(reference_sentences("zh") + reference_sentences("en"))
    key = hashlib.sha256(f"{encoder.model_id}|{encoder.fingerprint}|{encoder.inference}|{texts}".encode()).hexdigest()
    return models_dir() / "scales" / f"{key[:24]}.json"


def measure(encoder: Encoder) -> CosineScale:
    """Measure a model's scale: each reference sentence as a query against all the others (a few seconds)."""
    return CosineScale(_anchors(encoder, reference_sentences("zh")), _anchors(encoder, reference_sentences("en")))


def _anchors(encoder: Encoder, sentences: list[str]) -> Anchors:
    cosines = encoder.encode_queries(sentences) @ encoder.encode_passages(sentences).T
    others = cosines[~np.eye(len(sentences), dtype=bool)]
    median, high = np.percentile(others, [50, 99])
    return Anchors(float(median), float(high))
