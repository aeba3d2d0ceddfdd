"""The Milvus backend on real Milvus Lite, with the hashing encoder of tests/unit/ingest/test_update.py
(no model: these are about where vectors go and which rows a version sees).

The same corpus in FAISS and in Milvus finds the same passages with the same scores; an update in
Milvus (a new partition with the changed documents, the replaced rows left out) finds what a full
Milvus build finds; rows no kept version holds are deleted; a failed update leaves the live version.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa.ingest.indexer import build_index
from qa.ingest.update import update_index
from qa.store import open_index, read_files, versions
from qa.store.backend import BackendSettings
from tests.integration.scale.extras import need
from tests.unit.ingest.test_update import DOCS, RECORDS, HashingEncoder, edited, write_corpus


@pytest.fixture(autouse=True)
def milvus_lite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    need("pymilvus", "milvus")
    need("milvus_lite", "milvus")
    monkeypatch.setenv("RAGQA_MODELS", str(tmp_path / "models"))  # the fake model's cosine scale


def settings(tmp_path: Path) -> BackendSettings:
    return BackendSettings("milvus", str(tmp_path / "milvus.db"))


def searched(root: Path, uri: str | None = None, queries: int = 12) -> tuple[list[list[str]], np.ndarray]:
    """Each random query's top passages by id, with their scores."""
    opened = open_index(read_files(root), milvus_uri=uri)
    vectors = np.random.default_rng(3).normal(size=(queries, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    scores, rows = opened.dense.search(vectors, 5)
    return [[opened.records[r]["id"] for r in row if r >= 0] for row in rows], scores


def test_milvus_finds_what_faiss_finds(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", DOCS, RECORDS)
    build_index(corpus, tmp_path / "faiss", HashingEncoder())  # type: ignore[arg-type]
    build_index(corpus, tmp_path / "milvus", HashingEncoder(), backend=settings(tmp_path))  # type: ignore[arg-type]
    found = read_files(tmp_path / "milvus")
    assert "vectors.faiss" not in found.data and found.manifest["backend"]["kind"] == "milvus"
    ids_f, scores_f = searched(tmp_path / "faiss")
    ids_m, scores_m = searched(tmp_path / "milvus")
    assert ids_f == ids_m
    np.testing.assert_allclose(scores_f, scores_m, atol=1e-5)


def test_an_update_in_milvus_equals_a_full_milvus_build(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", DOCS, RECORDS)
    root, rebuilt = tmp_path / "index", tmp_path / "rebuilt"
    encoder = HashingEncoder()
    build_index(corpus, root, encoder, backend=settings(tmp_path), keep=1)  # type: ignore[arg-type]
    write_corpus(corpus, *edited())
    encoder.embedded.clear()
    report = update_index(corpus, root, encoder, backend=settings(tmp_path), keep=1)  # type: ignore[arg-type]
    assert report.full_reason is None and "张江" not in "\n".join(encoder.embedded)
    build_index(corpus, rebuilt, HashingEncoder(), backend=settings(tmp_path))  # type: ignore[arg-type]
    updated, full = open_index(read_files(root)), open_index(read_files(rebuilt))
    assert updated.records == full.records
    assert searched(root)[0] == searched(rebuilt)[0]
    np.testing.assert_allclose(searched(root)[1], searched(rebuilt)[1], atol=1e-5)
    # keep=1: the replaced and deleted documents' rows are gone from the collection, not only hidden
    client = updated.dense.client  # type: ignore[attr-defined]
    collection = updated.dense.entry.collection  # type: ignore[attr-defined]
    stored = client.query(collection, filter="id >= 0", output_fields=["id", "doc"])
    assert sorted(int(r["id"]) for r in stored) == sorted(updated.dense.ids.tolist())  # type: ignore[attr-defined]
    assert "c.md" not in {r["doc"] for r in stored}


def test_a_failed_update_in_milvus_leaves_the_live_version(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", DOCS, RECORDS)
    root = tmp_path / "index"
    encoder = HashingEncoder()
    build_index(corpus, root, encoder, backend=settings(tmp_path))  # type: ignore[arg-type]
    live, before = versions.pointer(root), searched(root)
    write_corpus(corpus, *edited())
    real_append = __import__("qa.store.milvus", fromlist=["Collection"]).Collection.append

    def append_then_fail(self, *args, **kwargs):  # the rows reach Milvus, then the build dies
        real_append(self, *args, **kwargs)
        raise RuntimeError("killed after writing to Milvus")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("qa.store.milvus.Collection.append", append_then_fail)
        with pytest.raises(RuntimeError):
            update_index(corpus, root, encoder, backend=settings(tmp_path))  # type: ignore[arg-type]
    assert versions.pointer(root) == live and searched(root)[0] == before[0]
    update_index(corpus, root, encoder, backend=settings(tmp_path))  # type: ignore[arg-type]
    opened = open_index(read_files(root))
    partitions = opened.dense.client.list_partitions(opened.dense.entry.collection)  # type: ignore[attr-defined]
    assert len([p for p in partitions if p.startswith("g")]) == 2  # the failed attempt's partition was dropped
