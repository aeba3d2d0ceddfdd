"""The write contract of a vector store, and the values a write carries.

A version is immutable once published, so a store writes the next version's vectors, not the live
one's: `open` a saved version (it becomes the base that rows are carried over from), `write` the
new version's rows (each embedded now, or carried over from the base by its row), `delete` the
rows of documents that are gone, `search` and `count` what is staged, `save` it into a version
folder, and `collect` what no kept version holds once the pointer has moved (`qa.store.publish`).
A full build is the same calls without a base: every row is new.

The FAISS store (`qa.store.faiss_store`) keeps the vectors in the version folder, the Milvus store
(`qa.store.milvus_store`) in a collection beside it; `qa.store.factory` picks one from the
settings, and tests/integration/store/vector_store_contract.py holds both to this contract.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from qa.store.backend import LexicalSearch, VectorSearch

if TYPE_CHECKING:
    import bm25s

    from qa.store import catalog
    from qa.store.files import IndexFiles


@dataclass(frozen=True)
class Rows:
    """The passages of a version about to be written, each embedded now or carried over from the base.

    Attributes:
        texts: what was embedded, per record (Milvus' BM25 indexes it too).
        origin: per record, its row in the store's base version, or -1 when embedded now.
        new_vectors: the vectors of the records with origin -1, in record order (L2-normalised float32).
    """

    records: list[dict[str, Any]]
    texts: list[str]
    origin: np.ndarray
    new_vectors: np.ndarray

    @classmethod
    def fresh(cls, records: list[dict[str, Any]], texts: list[str], vectors: np.ndarray) -> Rows:
        """Rows all embedded now (a full build's)."""
        return cls(records, texts, np.full(len(records), -1, dtype=np.int64), vectors)

    @property
    def new(self) -> np.ndarray:
        """A mask of the rows embedded now."""
        return np.asarray(self.origin < 0)

    def check(self) -> None:
        if not (len(self.records) == len(self.texts) == len(self.origin)):
            raise ValueError(f"{len(self.records)} records, {len(self.texts)} texts, {len(self.origin)} origins")
        if int(self.new.sum()) != len(self.new_vectors):
            raise ValueError(f"{len(self.new_vectors)} new vectors for {int(self.new.sum())} new rows")


@dataclass(frozen=True)
class VersionParts:
    """Everything a version holds beside its vectors and passages.

    Attributes:
        manifest: how it was built (model, corpus, chunking, sentences); the store adds what it records.
        documents: each document's content hash and passage count in passage order (`qa.store.catalog`);
            None writes no document list (a version of bare vectors, as `save_index` may publish).
    """

    manifest: dict[str, Any]
    lexical: bm25s.BM25
    sentence_vectors: np.ndarray
    documents: Sequence[catalog.Entry] | None = None


class VectorStore(Protocol):
    """One backend's side of a version's vectors: both the reading and the writing side."""

    kind: str  # `qa.store.backend.KINDS`, as the manifest's `backend.kind` names it

    def open(self, found: IndexFiles) -> VectorSearch:
        """Load a saved version's vectors; it becomes the base `write` carries rows over from."""
        ...

    def lexical(self) -> LexicalSearch | None:
        """BM25 over the opened version searched inside the store, where it has one; None: the local BM25."""
        ...

    def records(self, found: IndexFiles) -> list[dict[str, Any]]:
        """A saved version's passages, read and checked without reaching the vectors' engine (a
        build's read-back before it publishes)."""
        ...

    def carries(self) -> str | None:
        """Why the opened version's rows cannot be carried into a new one, or None when they can."""
        ...

    def write(self, rows: Rows) -> None:
        """Stage rows for the next version, after those staged before."""
        ...

    def delete(self, documents: Collection[str]) -> int:
        """Drop the staged rows of these documents; return how many were dropped."""
        ...

    def count(self) -> int:
        """Rows staged."""
        ...

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k inner products over the staged rows: (scores, staged rows), rows -1 past the end."""
        ...

    def save(self, folder: Path, manifest: dict[str, Any]) -> dict[str, Any]:
        """Write the staged rows' files into a version folder (passages, and vectors or where they
        are); return `manifest` with what the store records (count, dimension, index kind, backend)."""
        ...

    def collect(self, root: Path) -> None:
        """After a publish: release what no version kept under root holds."""
        ...
