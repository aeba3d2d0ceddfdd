"""The FAISS side of the write contract (`qa.store.writer.VectorStore`): vectors in the version folder.

A new version's FAISS index is built whole from its staged rows (`qa.store.dense.build`), the
carried-over ones read back exactly from the base version (a flat index, or an HNSW graph's flat
storage), so an update writes the same index as a full build of the same passages.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np

from qa.store import dense, jsonl
from qa.store.backend import FAISS, LexicalSearch
from qa.store.files import IndexFiles
from qa.store.writer import Rows


def exact_vectors(index: Any) -> np.ndarray | None:
    """Every vector of a FAISS version as embedded; None where only approximations (or nothing: another
    store keeps its own) are at hand."""
    import faiss

    if not isinstance(index, dense.DenseIndex):
        return None
    found = faiss.downcast_index(index.faiss_index)
    if isinstance(found, faiss.IndexHNSWFlat):
        found = faiss.downcast_index(found.storage)  # the graph's vectors, kept as embedded
    if not isinstance(found, faiss.IndexFlat):
        return None
    return np.asarray(found.reconstruct_n(0, found.ntotal), dtype=np.float32)


class FaissStore:
    """Stages a version's rows in memory and writes them as `vectors.faiss` beside `records.jsonl`."""

    kind = FAISS

    def __init__(self) -> None:
        self._base: dense.DenseIndex | None = None
        self._base_vectors: np.ndarray | None = None  # read once, when a write first carries rows
        self._records: list[dict[str, Any]] = []
        self._vectors: np.ndarray | None = None

    def open(self, found: IndexFiles) -> dense.DenseIndex:
        self._base, self._base_vectors = dense.from_files(found), None
        return self._base

    def lexical(self) -> LexicalSearch | None:
        return None

    def records(self, found: IndexFiles) -> list[dict[str, Any]]:
        return dense.from_files(found).records  # reads the vectors too: the read-back checks them

    def carries(self) -> str | None:
        if self._base is None:
            return "no version is open to carry rows from"
        if self._carried_vectors() is None:
            return "the live version's vector index does not keep its vectors exactly"
        return None

    def write(self, rows: Rows) -> None:
        rows.check()
        vectors = np.asarray(rows.new_vectors, dtype=np.float32)
        if (~rows.new).any():
            carried = self._carried_vectors()
            if carried is None:
                raise ValueError(f"rows carried over without a base version to carry them from ({self.carries()})")
            vectors = np.zeros((len(rows.records), rows.new_vectors.shape[1]), dtype=np.float32)
            vectors[~rows.new] = carried[rows.origin[~rows.new]]
            vectors[rows.new] = rows.new_vectors
        self._records.extend(rows.records)
        self._vectors = vectors if self._vectors is None else np.concatenate([self._vectors, vectors])

    def delete(self, documents: Collection[str]) -> int:
        keep = np.asarray([r.get("doc") not in documents for r in self._records], dtype=bool)
        if self._vectors is not None:
            self._vectors = self._vectors[keep]
        self._records = [r for r, kept in zip(self._records, keep) if kept]
        return int((~keep).sum())

    def count(self) -> int:
        return len(self._records)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        if self._vectors is None or not self._records:
            return np.full((len(queries), k), -np.inf, dtype=np.float32), np.full((len(queries), k), -1, dtype=np.int64)
        return dense.build(self._vectors, self._records, {"model": {}}).search(queries, k)

    def save(self, folder: Path, manifest: dict[str, Any]) -> dict[str, Any]:
        import faiss

        vectors = self._vectors
        if vectors is None:
            vectors = np.zeros((0, int(manifest["model"]["dimension"])), dtype=np.float32)
        built = dense.build(vectors, self._records, manifest)
        faiss.write_index(built.faiss_index, str(folder / dense.VECTORS))
        jsonl.write(folder / dense.RECORDS, self._records)
        return built.manifest

    def collect(self, root: Path) -> None:
        return None  # a pruned version's vectors went with its folder

    def _carried_vectors(self) -> np.ndarray | None:
        if self._base_vectors is None and self._base is not None:
            self._base_vectors = exact_vectors(self._base)
        return self._base_vectors
