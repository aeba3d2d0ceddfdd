"""Embeddings of every passage sentence, computed at index time so the reader never waits on them.

Sentences are re-derived from the passages on load (`split_sentences` is deterministic), so the
file holds only the vectors, in passage order; float16 halves the size at no cost to ranking.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from embeddings.encoder import Encoder
from qa.text import split_sentences

FILE = "sentences.npy"


def passage_sentences(texts: Iterable[str]) -> list[str]:
    """Every sentence of every passage, in order."""
    return [text[s:e] for text in texts for s, e in split_sentences(text)]


def encode(
    texts: Sequence[str],
    encoder: Encoder,
    progress: bool = False,
    embed: Callable[[Sequence[str], bool], np.ndarray] | None = None,
) -> np.ndarray:
    """Every sentence's vector, float16, in passage order.

    Args:
        embed: what embeds them as passages instead of `encoder.encode_passages` (a Ray build's actors).
    """
    return (embed or encoder.encode_passages)(passage_sentences(texts), progress).astype(np.float16)


def save(vectors: np.ndarray, index_dir: Path) -> None:
    np.save(index_dir / FILE, vectors, allow_pickle=False)


def load(data: bytes | None, texts: Sequence[str]) -> dict[str, np.ndarray]:
    """Map sentence text to its vector from the file's verified bytes; empty when the index has none."""
    if data is None:
        return {}
    vectors = np.load(io.BytesIO(data), allow_pickle=False)
    sentences = passage_sentences(texts)
    if len(sentences) != len(vectors):
        raise ValueError(f"{FILE} holds {len(vectors)} vectors for {len(sentences)} sentences")
    return {sentence: vectors[i].astype(np.float32) for i, sentence in enumerate(sentences)}
