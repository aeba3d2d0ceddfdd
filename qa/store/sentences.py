"""Embeddings of every passage sentence, computed at index time so the reader never waits on them.

Sentences are re-derived from the passages on load (`split_sentences` is deterministic), so the
file holds only the vectors, in passage order; float16 halves the size at no cost to ranking.

Two ways to get them (`MODES`): "pooled" (the default) takes each sentence's vector from the pass
that embeds its passage, as the mean of the token states covering it, so a build runs the model once;
"encoded" embeds every sentence on its own, a second pass over the same text. A pooled vector sees
its passage around it, which makes sentences of one passage a little more alike: on DRCD dev the
answer sentence ranks first among its passage's sentences for 60% of questions instead of 67%, and
end to end (DRCD test fold 2/2, 200 questions) EM/F1 moved 60.0/73.4 -> 59.5/73.1 (docs/performance.md).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.encoder import Encoder
from embeddings.onnx_engine import TokenStates
from qa.text import split_sentences
from qa.text.token_offsets import Span, passage_offsets

FILE = "sentences.npy"
MODES = ("pooled", "encoded")
DEFAULT_MODE = "pooled"


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


def with_passages(
    texts: Sequence[str], bodies: Sequence[str], encoder: Encoder, progress: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Passage vectors and every sentence's vector (float16, in passage order) from one encoder pass.

    Args:
        texts: what each passage is embedded as (its title line, then its body).
        bodies: the passage texts the sentences are split from, each the end of its text.
    """
    prompt = encoder.prompts.get("passage", "")
    vectors = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    found: list[list[np.ndarray | None]] = [[] for _ in texts]
    tokenizer = encoder.tokenizer
    special = set(tokenizer.all_special_ids)
    for batch in encoder.passage_states(texts, progress):
        vectors[batch.rows] = batch.vectors
        for j, i in enumerate(batch.rows.tolist()):
            spans, states = _token_spans(tokenizer, special, batch, j, prompt + texts[i])
            start = len(prompt) + len(texts[i]) - len(bodies[i])  # the body ends the prompted text
            found[i] = [_mean(states, spans, start + s, start + e) for s, e in split_sentences(bodies[i])]
    # A sentence no token covers (cut off past the model's length) is embedded on its own.
    missing = [(i, k) for i, row in enumerate(found) for k, v in enumerate(row) if v is None]
    if missing:
        alone = encoder.encode_passages([bodies[i][slice(*split_sentences(bodies[i])[k])] for i, k in missing])
        for (i, k), v in zip(missing, alone):
            found[i][k] = v
    flat = [v for row in found for v in row if v is not None]
    sentence_vectors = np.stack(flat) if flat else np.zeros((0, encoder.dim), dtype=np.float32)
    return vectors, sentence_vectors.astype(np.float16)


def _token_spans(
    tokenizer: Any, special: set[int], batch: TokenStates, row: int, text: str
) -> tuple[list[Span | None], np.ndarray]:
    """The text's tokens (special ones and padding left out): each one's characters, and its states."""
    ids, mask, offsets = batch.input_ids[row], batch.attention_mask[row], batch.offsets
    keep = [t for t in range(len(ids)) if mask[t] and int(ids[t]) not in special]
    if offsets is None:
        raise ValueError("token states without offsets cannot be pooled by sentence")
    claimed: list[Span | None] = [(int(a), int(b)) if b > a else None for a, b in offsets[row][keep]]
    # The tokenizer's own offsets may drift on non-ASCII text (e5's do); these are checked and re-walked.
    spans = passage_offsets(tokenizer, [text], [(0, [int(ids[t]) for t in keep], claimed)], 0)[0]
    return spans, batch.states[row][keep]


def _mean(states: np.ndarray, spans: list[Span | None], start: int, end: int) -> np.ndarray | None:
    rows = [t for t, span in enumerate(spans) if span is not None and span[0] < end and span[1] > start]
    if not rows:
        return None
    vector = states[rows].mean(axis=0)
    return (vector / max(float(np.linalg.norm(vector)), 1e-12)).astype(np.float32)


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
