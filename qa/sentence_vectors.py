"""Embeddings of every passage sentence, computed at index time so the reader never waits on them.

Sentences are re-derived from the passages on load (`split_sentences` is deterministic), so the
file holds only the vectors, in passage order; float16 halves the size at no cost to ranking.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from embeddings.encoder import Encoder
from qa.text import split_sentences

FILE = "sentences.npy"


def passage_sentences(texts: Iterable[str]) -> list[str]:
    """Every sentence of every passage, in order."""
    return [text[s:e] for text in texts for s, e in split_sentences(text)]


def encode(texts: Sequence[str], encoder: Encoder, progress: bool = False) -> np.ndarray:
    return encoder.encode_passages(passage_sentences(texts), progress=progress).astype(np.float16)


def save(vectors: np.ndarray, index_dir: Path) -> None:
    np.save(index_dir / FILE, vectors, allow_pickle=False)


def load(index_dir: Path, texts: Sequence[str]) -> dict[str, np.ndarray]:
    """Map sentence text to its vector; empty when the index has no sentence file."""
    path = Path(index_dir) / FILE
    if not path.is_file():
        return {}
    vectors = np.load(path, allow_pickle=False)
    sentences = passage_sentences(texts)
    if len(sentences) != len(vectors):
        raise ValueError(f"{path} holds {len(vectors)} vectors for {len(sentences)} sentences")
    return {sentence: vectors[i].astype(np.float32) for i, sentence in enumerate(sentences)}
