"""Backend settings are checked before any work: a bad one is one line, and a missing engine names its extra."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from qa.cli import main
from qa.errors import RagqaError
from qa.store.backend import BackendSettings, MissingExtra, require


def test_an_unknown_backend_or_a_milvus_without_address_is_refused() -> None:
    with pytest.raises(RagqaError, match="unknown backend 'qdrant'"):
        BackendSettings("qdrant").check()
    with pytest.raises(RagqaError, match="needs --milvus-uri"):
        BackendSettings("milvus").check()
    BackendSettings().check()  # FAISS needs nothing


def test_a_missing_engine_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pymilvus", None)  # as if not installed
    with pytest.raises(MissingExtra, match=r"pip install -e '\.\[milvus\]'"):
        require("pymilvus", "milvus", "the milvus backend")
    with pytest.raises(MissingExtra, match="pymilvus"):
        BackendSettings("milvus", "var/milvus.db").check()


def test_the_index_command_refuses_a_milvus_without_address_in_one_line(runner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["index", "--backend", "milvus", "--index", str(tmp_path / "i")], env={})
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert result.output.strip().startswith("Error:") and "--milvus-uri" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_serving_a_faiss_index_as_milvus_is_refused(runner, tmp_path: Path) -> None:
    from tests.unit.store.test_versions import publish

    publish(tmp_path / "index")
    result = runner.invoke(main, ["serve", "--index", str(tmp_path / "index"), "--backend", "milvus"])
    assert result.exit_code != 0 and "keeps its vectors in faiss, not milvus" in result.output
