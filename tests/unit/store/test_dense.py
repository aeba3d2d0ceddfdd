"""The FAISS index type by size: exact below FLAT_MAX, HNSW above, recorded and read back, close to exact."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa.store import dense, files, versions
from qa.store.index import StoredIndex


def _vectors(n: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    """Clustered unit vectors, as embeddings of related passages are (uniform ones have no neighbours)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(max(1, n // 50), dim))
    vectors = centres[rng.integers(0, len(centres), n)] + 0.3 * rng.normal(size=(n, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def _publish(root: Path, vectors: np.ndarray, kind: str | None) -> dense.DenseIndex:
    built = dense.build(vectors, [{"text": str(i)} for i in range(len(vectors))], {"model": {"id": "toy"}}, kind)
    with versions.build_lock(root):
        dense.save(built, root)
    return dense.from_files(files.read_files(root))


def test_the_kind_is_chosen_by_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dense, "FLAT_MAX", 500)
    small = dense.build(_vectors(500), [{}] * 500, {"model": {"id": "toy"}})
    large = dense.build(_vectors(501), [{}] * 501, {"model": {"id": "toy"}})
    assert small.manifest["faiss"] == {"index": "flat"}
    assert large.manifest["faiss"]["index"] == "hnsw" and large.manifest["faiss"]["ef_search"] == dense.HNSW_EF_SEARCH
    with pytest.raises(ValueError, match="unknown FAISS index kind 'ivf'"):
        dense.build(_vectors(10), [{}] * 10, {"model": {"id": "toy"}}, "ivf")


def test_hnsw_finds_what_the_exact_search_finds(tmp_path: Path) -> None:
    vectors, queries = _vectors(4000), _vectors(100, seed=1)
    exact = _publish(tmp_path / "flat", vectors, "flat")
    graph = _publish(tmp_path / "hnsw", vectors, "hnsw")
    assert graph.manifest["faiss"]["index"] == "hnsw" and graph.size == 4000
    _, want = exact.search(queries, 10)
    _, got = graph.search(queries, 10)
    recall = np.mean([len(set(w) & set(g)) / 10 for w, g in zip(want, got)])
    assert recall >= 0.95


def test_an_hnsw_version_still_gives_its_exact_vectors_for_updates(tmp_path: Path) -> None:
    vectors = _vectors(300)
    graph = _publish(tmp_path / "hnsw", vectors, "hnsw")
    stored = StoredIndex(tmp_path / "hnsw", graph, None, {})  # type: ignore[arg-type]  # no BM25 needed here
    assert np.array_equal(stored.exact_vectors(), vectors)


def _exact_filtered(vectors: np.ndarray, queries: np.ndarray, rows: np.ndarray, k: int) -> list[list[int]]:
    """Brute force: every allowed vector's inner product with the query, best first."""
    products = queries @ vectors[rows].T
    return [rows[np.argsort(-p, kind="stable")[:k]].tolist() for p in products]


@pytest.mark.parametrize("kind", [dense.FLAT, dense.HNSW])
@pytest.mark.parametrize("exact_max", [dense.EXACT_MAX, 0])  # compared directly, and by FAISS with a selector
def test_a_filtered_search_finds_what_brute_force_over_the_candidates_finds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, exact_max: int
) -> None:
    monkeypatch.setattr(dense, "EXACT_MAX", exact_max)
    vectors, queries = _vectors(3000), _vectors(50, seed=1)
    index = _publish(tmp_path / "index", vectors, kind)
    rows = np.flatnonzero(np.random.default_rng(2).random(len(vectors)) < 0.1)  # a tenth of the passages
    scores, found = index.search(queries, 10, rows)
    assert set(found.ravel().tolist()) <= set(rows.tolist())
    expected = _exact_filtered(vectors, queries, rows, 10)
    recall = np.mean([len(set(f) & set(e)) / 10 for f, e in zip(found.tolist(), expected)])
    assert recall == 1.0
    assert np.all(np.diff(scores, axis=1) <= 1e-6)  # best first


def test_a_filtered_search_of_fewer_candidates_than_k_pads_as_faiss_does(tmp_path: Path) -> None:
    index = _publish(tmp_path / "index", _vectors(200), dense.FLAT)
    _, found = index.search(_vectors(2, seed=3), 5, np.array([7, 42, 99]))
    assert sorted(found[0, :3].tolist()) == [7, 42, 99] and found[:, 3:].tolist() == [[-1, -1], [-1, -1]]
    assert index.search(_vectors(1, seed=3), 5, np.zeros(0, np.int64))[1].tolist() == [[-1] * 5]
