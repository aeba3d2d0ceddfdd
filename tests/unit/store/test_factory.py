"""The factory is the one place a backend's kind becomes a store: for writing from the settings, for
reading from what a version's manifest says. (The stores' own behaviour is the contract suite's:
tests/integration/store/test_vector_stores.py.)"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa.errors import IndexUnavailable, RagqaError
from qa.store import factory
from qa.store.backend import BackendSettings
from qa.store.faiss_store import FaissStore
from qa.store.files import IndexFiles
from qa.store.writer import Rows


def found(manifest: dict, data: dict[str, bytes] | None = None, where: str = "/r/versions/v1") -> IndexFiles:
    return IndexFiles("v1", Path(where), manifest, data or {})


def test_the_settings_choose_the_store_and_are_checked_first(tmp_path: Path) -> None:
    assert isinstance(factory.store(BackendSettings(), tmp_path), FaissStore)
    with pytest.raises(RagqaError, match="unknown backend 'qdrant'"):
        factory.store(BackendSettings("qdrant"), tmp_path)
    with pytest.raises(RagqaError, match="needs --milvus-uri"):
        factory.store(BackendSettings("milvus"), tmp_path)


def test_a_version_is_read_by_the_store_its_manifest_names() -> None:
    faiss = found({"model": {}}, {"vectors.faiss": b""})  # no backend recorded: FAISS, as before backends
    assert factory.reader(faiss).kind == "faiss"
    with pytest.raises(IndexUnavailable, match=r"has no vectors\.faiss"):
        factory.reader(found({"model": {}}))
    with pytest.raises(IndexUnavailable, match="keeps its vectors in 'qdrant', unknown here"):
        factory.reader(found({"model": {}, "backend": {"kind": "qdrant"}}))


def test_a_milvus_version_is_reached_where_asked_in_its_own_collection(tmp_path: Path) -> None:
    pytest.importorskip("pymilvus")
    manifest = {"model": {}, "backend": {"kind": "milvus", "uri": "http://a:19530", "collection": "ragqa_x"}}
    built = factory.reader(found(manifest, where=str(tmp_path / "root" / "versions" / "v1")))
    assert (built.uri, built.name, built.root) == ("http://a:19530", "ragqa_x", tmp_path / "root")  # type: ignore[attr-defined]
    moved = factory.reader(found(manifest), milvus_uri="http://b:19530")
    assert moved.uri == "http://b:19530"  # type: ignore[attr-defined]
    with pytest.raises(IndexUnavailable, match="does not say where its Milvus rows are"):
        factory.reader(found({"model": {}, "backend": {"kind": "milvus"}}))


def test_rows_whose_parts_disagree_are_refused() -> None:
    vectors = np.eye(2, 4, dtype=np.float32)
    Rows.fresh([{"doc": "a"}, {"doc": "a"}], ["x", "y"], vectors).check()
    with pytest.raises(ValueError, match="2 records, 1 texts"):
        Rows.fresh([{"doc": "a"}, {"doc": "a"}], ["x"], vectors).check()
    with pytest.raises(ValueError, match="1 new vectors for 2 new rows"):
        Rows.fresh([{"doc": "a"}, {"doc": "a"}], ["x", "y"], vectors[:1]).check()
    carried = Rows([{"doc": "a"}, {"doc": "b"}], ["x", "y"], np.array([4, -1]), vectors[:1])
    carried.check()
    assert carried.new.tolist() == [False, True]
