"""Where a version's vectors live and how they are searched: FAISS files in the version folder
(the default) or a Milvus collection (`qa.store.milvus`), behind one interface.

Everything else of a version (passages, BM25, sentence vectors, the document list, the manifest)
stays in the version folder either way, so the pointer switch that publishes a version is the same
atomic rename for both, and a version says in its manifest (`backend`) where its vectors are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from qa.errors import RagqaError

FAISS = "faiss"
MILVUS = "milvus"
KINDS = (FAISS, MILVUS)


class MissingExtra(RagqaError):
    """An optional engine is configured but its package is not installed."""

    status = 503
    code = "missing_extra"


def require(module: str, extra: str, what: str) -> Any:
    """Import an optional package, or fail with the command that installs it (as txtai does)."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtra(
            f"{what} needs the '{module}' package, which is not installed; install it with "
            f"pip install -e '.[{extra}]' (from the ragqa folder) or pip install 'ragqa[{extra}]'"
        ) from exc


class VectorSearch(Protocol):
    """A version's dense side as the retriever and the pipeline use it: its passages and a top-k search."""

    records: list[dict[str, Any]]
    manifest: dict[str, Any]
    version: str | None

    @property
    def size(self) -> int: ...

    def search(self, queries: np.ndarray, k: int, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k inner products for each query row: (scores, rows into `records`); rows are -1 past the end.

        Only `rows` are searched where given (a filter's candidates, `qa.retrieval.selection`); None: all."""
        ...


class LexicalSearch(Protocol):
    """BM25 over a version's passages somewhere other than its local bm25/ (Milvus' full-text search)."""

    def search(
        self, questions: Sequence[str], depth: int, rows: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each question's best `depth` passages: (rows into the version's records, scores); score 0 pads.

        Only `rows` are searched where given; None: all."""
        ...


@dataclass(frozen=True)
class BackendSettings:
    """Which engine holds the vectors of the versions a build writes (a loaded version names its own).

    Attributes:
        milvus_uri: a Milvus Lite file (`var/milvus.db`) or a server (`http://host:19530`); when serving, it
            overrides the address a version was built with (the same collection reached another way).
        collection: the Milvus collection; None derives one from the index root.
        milvus_bm25: search a Milvus version's BM25 in Milvus (full-text search) where its collection has it;
            off, or where it has not, the version's local BM25 is searched.
    """

    kind: str = FAISS
    milvus_uri: str | None = None
    collection: str | None = None
    milvus_bm25: bool = True

    @property
    def live_uri(self) -> str | None:
        """Where to reach a live version's Milvus rows under these settings (None: as it was built)."""
        return self.milvus_uri if self.kind == MILVUS else None

    def check(self) -> None:
        if self.kind not in KINDS:
            raise RagqaError(
                f"unknown backend '{self.kind}'; choose one of: {', '.join(KINDS)}", code="invalid_setting"
            )
        if self.kind == MILVUS and not self.milvus_uri:
            raise RagqaError(
                "the milvus backend needs --milvus-uri (RAGQA_MILVUS_URI): a Milvus Lite file such as "
                "var/milvus.db, or a server such as http://localhost:19530",
                code="invalid_setting",
            )
        if self.kind == MILVUS:
            require("pymilvus", "milvus", "the milvus backend")
