"""The vector store contract (tests/integration/store/vector_store_contract.py) against every store:
FAISS files in the version folder, and a Milvus Lite collection (the Milvus extra: skipped without it,
a failure under CI, as tests/integration/scale/extras.py decides)."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.store.backend import BackendSettings
from tests.integration.scale.extras import need
from tests.integration.store.vector_store_contract import VectorStoreContract


class TestFaissStore(VectorStoreContract):
    @pytest.fixture()
    def backend(self, tmp_path: Path) -> BackendSettings:
        return BackendSettings("faiss")


@pytest.fixture(scope="module")
def milvus_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One Milvus Lite file for the module (each start costs seconds); every test's root has its own collection."""
    need("pymilvus", "milvus")
    need("milvus_lite", "milvus")
    return str(tmp_path_factory.mktemp("milvus") / "milvus.db")


class TestMilvusStore(VectorStoreContract):
    @pytest.fixture()
    def backend(self, milvus_uri: str) -> BackendSettings:
        return BackendSettings("milvus", milvus_uri)
