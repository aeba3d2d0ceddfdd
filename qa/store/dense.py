"""The dense side of an index: L2-normalised vectors in FAISS, with one record (a passage) per vector.

The FAISS index type is chosen by size when the version is built and recorded in its manifest
(`faiss`): an exact flat search up to `FLAT_MAX` vectors, where it stays within a few milliseconds
on two cores, and an HNSW graph above it, whose search time grows with the log of the size instead
(bench/ann.py measures both, and HNSW's recall@10 against the exact search; docs/performance.md).
HNSW keeps every vector as embedded (`IndexHNSWFlat`), so an update can still carry rows over.
A filtered search (`DenseIndex.search` with rows) is exact over a candidate set up to `EXACT_MAX`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa.errors import IndexUnavailable
from qa.store import files, jsonl, versions

VECTORS = "vectors.faiss"
RECORDS = "records.jsonl"
FLAT = "flat"
HNSW = "hnsw"
FLAT_MAX = 200_000  # 384-d inner products of 200k vectors: ~20 ms a question on two cores, exact
HNSW_M = 32  # graph neighbours per vector: ~256 bytes a vector beside its 1,536
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 512  # candidates a search keeps: recall against speed (docs/performance.md)
# A filtered search over at most this many passages compares the query with each of them, exactly, on
# every index type; above it FAISS searches with the others excluded (an HNSW walk is then approximate).
EXACT_MAX = 20_000


@dataclass
class DenseIndex:
    """Vectors in FAISS plus their records and the version's manifest."""

    faiss_index: Any
    records: list[dict[str, Any]]
    manifest: dict[str, Any]
    version: str | None = None

    @property
    def size(self) -> int:
        return int(self.faiss_index.ntotal)

    def search(self, queries: np.ndarray, k: int, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k inner products for each query row: (scores, ids); ids are -1 past the end.

        Args:
            rows: search only these rows (a filter's candidate set, `qa.retrieval.selection`); None: all.
        """
        k = max(1, min(k, self.size))
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if rows is None:
            return self.faiss_index.search(queries, k)
        if len(rows) <= EXACT_MAX:
            return _exact(queries, self.faiss_index.reconstruct_batch(rows), rows, k)
        return self._selected(queries, k, rows)

    def _selected(self, queries: np.ndarray, k: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """FAISS' own search with only `rows` allowed: exact on a flat index, the graph's walk on HNSW."""
        import faiss

        engine: Any = faiss  # its SWIG classes take keyword settings its stubs do not list
        selector = engine.IDSelectorBatch(np.ascontiguousarray(rows, dtype=np.int64))
        index: Any = engine.downcast_index(self.faiss_index)
        if isinstance(index, engine.IndexHNSW):
            params = engine.SearchParametersHNSW(sel=selector, efSearch=index.hnsw.efSearch)
        else:
            params = engine.SearchParameters(sel=selector)
        return index.search(queries, k, params=params)


def _exact(queries: np.ndarray, vectors: np.ndarray, rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-k inner products over the given vectors (of `rows`), padded with -1 rows as FAISS pads."""
    scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
    found = np.full((len(queries), k), -1, dtype=np.int64)
    if not len(rows):
        return scores, found
    products = queries @ np.asarray(vectors, dtype=np.float32).T
    take = min(k, len(rows))
    for q, row in enumerate(products):
        # Highest first, ties by row as a flat FAISS search breaks them.
        best = np.lexsort((rows, -row))[:take]
        scores[q, :take], found[q, :take] = row[best], rows[best]
    return scores, found


def build(
    vectors: np.ndarray, records: list[dict[str, Any]], manifest: dict[str, Any], kind: str | None = None
) -> DenseIndex:
    """Make an inner-product index (vectors must already be L2-normalised): `kind` "flat" (exact) or
    "hnsw", or None to choose by size (`FLAT_MAX`)."""
    import faiss

    if len(vectors) != len(records):
        raise ValueError(f"{len(vectors)} vectors for {len(records)} records")
    dim = int(vectors.shape[1]) if vectors.ndim == 2 and len(vectors) else int(manifest["model"]["dimension"])
    kind = kind or (FLAT if len(vectors) <= FLAT_MAX else HNSW)
    index: Any
    if kind == FLAT:
        index = faiss.IndexFlatIP(dim)
        described: dict[str, Any] = {"index": FLAT}
    elif kind == HNSW:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        index.hnsw.efSearch = HNSW_EF_SEARCH
        described = {"index": HNSW, "m": HNSW_M, "ef_construction": HNSW_EF_CONSTRUCTION, "ef_search": HNSW_EF_SEARCH}
    else:
        raise ValueError(f"unknown FAISS index kind '{kind}'; one of: {FLAT}, {HNSW}")
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    full = {"format_version": files.FORMAT_VERSION, "count": len(records), **manifest, "faiss": described}
    full["model"] = {**manifest.get("model", {}), "dimension": dim}
    return DenseIndex(index, records, full)


def save(
    index: DenseIndex,
    root: str | Path,
    extra: Callable[[Path], None] | None = None,
    keep: int = versions.DEFAULT_KEEP,
    verify: Callable[[Path], None] | None = None,
) -> versions.Version:
    """Publish the index, and what `extra(folder)` writes beside it, as a new version of root and
    point root at it (the caller holds the build lock).

    Args:
        verify: reads the written version folder back before the pointer moves to it (`versions.publish`);
            None reads back the dense side (`verify_folder`), what `extra` wrote is its caller's to check.
    """
    import faiss

    def write_files(folder: Path) -> None:
        faiss.write_index(index.faiss_index, str(folder / VECTORS))
        jsonl.write(folder / RECORDS, index.records)
        if extra is not None:
            extra(folder)

    def write(folder: Path) -> None:
        index.manifest = files.write(folder, index.manifest, write_files)

    published = versions.publish(root, write, keep=keep, verify=verify or verify_folder)
    index.version = published.name
    return published


def from_files(found: files.IndexFiles, model_id: str | None = None, fingerprint: str | None = None) -> DenseIndex:
    """Build the searchable index from verified files, refusing one built with another model."""
    import faiss

    manifest = found.manifest
    files.check_model(manifest, model_id, fingerprint, found.directory)
    try:
        faiss_index = faiss.deserialize_index(np.frombuffer(found.data[VECTORS], dtype=np.uint8).copy())
        records = jsonl.parse(found.data[RECORDS])
    except (RuntimeError, ValueError) as exc:
        raise IndexUnavailable(
            f"index at {found.directory} cannot be read ({exc}); rebuild with `ragqa index`"
        ) from exc
    ef_search = (manifest.get("faiss") or {}).get("ef_search")
    if ef_search is not None:  # the search breadth the version was measured with
        graph: Any = faiss.downcast_index(faiss_index)
        graph.hnsw.efSearch = int(ef_search)
    if faiss_index.ntotal != len(records) or len(records) != manifest.get("count"):
        raise IndexUnavailable(
            f"index at {found.directory} is inconsistent ({faiss_index.ntotal} vectors, {len(records)} records)"
        )
    return DenseIndex(faiss_index, records, manifest, found.version)


def verify_folder(folder: Path) -> None:
    """Read a version folder's dense side back as a server would (no model needed), or raise IndexUnavailable."""
    from_files(files.read_files(folder))
