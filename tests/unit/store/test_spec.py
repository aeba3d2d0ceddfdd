"""The index spec: what a version's vectors depend on, read from and written to its manifest, and the
one rule set (`IndexSpec.mismatch`) that loading, `serve`, `index --if-stale` and `index --update` ask.

The encoder here is a stand-in holding only what a spec reads of one (loading the real model belongs
to tests/integration); manifests are plain dicts as `ragqa index` writes them, now and before.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from embeddings.onnx_engine import GRAPH_VERSION
from qa.cli import main
from qa.errors import IndexUnavailable
from qa.ingest.indexer import CHUNKER_VERSION, build_manifest, chunking_settings
from qa.ingest.passages import MIN_CHARS
from qa.store import check_model
from qa.store.backend import BackendSettings
from qa.store.milvus import collection_name
from qa.store.spec import IndexSpec

SCALE = {"floor": 0.7, "ceiling": 0.9}  # a cosine scale already known, so nothing is measured


@dataclass
class FakeEncoder:
    model_id: str = "multilingual-e5-small"
    fingerprint: str = "abc123"
    inference: str = "onnx-int8"
    prompts: dict[str, str] = field(default_factory=lambda: {"query": "query: ", "passage": "passage: "})


def manifest_now(encoder: FakeEncoder, max_chars: int = 400, sentences: str = "pooled") -> dict[str, Any]:
    """A manifest as a build writes it today (the corpus part is not the spec's)."""
    return build_manifest(encoder, {"checksum": "c"}, 3, max_chars, scale=SCALE, sentence_mode=sentences)  # type: ignore[arg-type]


# A version written before engines, graph versions, sentence-vector modes and backends were recorded.
OLD_MANIFEST: dict[str, Any] = {
    "format_version": 1,
    "count": 12,
    "model": {
        "id": "multilingual-e5-small",
        "fingerprint": "abc123",
        "prompts": {"query": "query: ", "passage": "passage: "},
        "dimension": 384,
    },
    "corpus": {"checksum": "c", "documents": 3},
    "chunking": {"version": CHUNKER_VERSION, "max_chars": 400, "min_chars": MIN_CHARS},
}


def wanted(encoder: FakeEncoder, root: Path | None = None, backend: BackendSettings | None = None) -> IndexSpec:
    return IndexSpec.of(encoder, chunking_settings(400), "pooled", backend or BackendSettings(), root)  # type: ignore[arg-type]


def test_the_manifest_keeps_the_fields_it_always_had() -> None:
    written = manifest_now(FakeEncoder())
    assert written["model"] == {
        "id": "multilingual-e5-small",
        "fingerprint": "abc123",
        "prompts": {"query": "query: ", "passage": "passage: "},
        "inference": "onnx-int8",
        "graph": GRAPH_VERSION,
        "cosine_scale": SCALE,
    }
    assert written["chunking"] == {"version": CHUNKER_VERSION, "max_chars": 400, "min_chars": MIN_CHARS}
    assert written["sentences"] == {"vectors": "pooled"}
    assert "graph" not in manifest_now(FakeEncoder(inference="torch"))["model"]  # torch has no exported graph


@pytest.mark.parametrize("inference", ["torch", "onnx", "onnx-int8"])
def test_a_spec_survives_its_manifest(inference: str) -> None:
    spec = wanted(FakeEncoder(inference=inference))
    assert IndexSpec.from_manifest(spec.to_manifest()) == spec
    assert IndexSpec.from_manifest(manifest_now(FakeEncoder(inference=inference))) == spec
    assert spec.mismatch(IndexSpec.from_manifest(spec.to_manifest())) is None


def test_a_milvus_spec_reads_its_backend_as_the_store_writes_it(tmp_path: Path) -> None:
    settings = BackendSettings("milvus", "var/milvus.db")
    spec = wanted(FakeEncoder(), tmp_path, settings)
    assert spec.collection == collection_name(tmp_path)
    stored = {**spec.to_manifest(), "backend": {"kind": "milvus", "uri": "/x.db", "collection": spec.collection}}
    assert IndexSpec.from_manifest(stored) == spec


def _other(**change: Any) -> IndexSpec:
    return replace(IndexSpec.from_manifest(manifest_now(FakeEncoder())), **change)


@pytest.mark.parametrize(
    "change,reason",
    [
        ({"model_id": "m3e-small"}, "built with model 'm3e-small'"),
        ({"fingerprint": "def456"}, "other weights of model 'multilingual-e5-small'"),
        ({"inference": "torch", "graph": None}, "embedded by the torch engine, not onnx-int8"),
        (
            {"graph": GRAPH_VERSION - 1},
            f"ONNX export has changed since the index was embedded (graph {GRAPH_VERSION - 1},",
        ),
        ({"graph": None}, "ONNX export has changed since the index was embedded (graph unrecorded,"),
        ({"prompts": (("query", "query: "),)}, "embedded with other prompts"),
        ({"chunker": CHUNKER_VERSION - 1}, "passage splitting has changed"),
        ({"min_chars": MIN_CHARS + 1}, "passage splitting has changed"),
        ({"max_chars": 300}, "split into passages of up to 300 characters, not 400"),
        ({"sentence_vectors": "encoded"}, "sentence vectors were encoded, not pooled"),
        ({"backend": "milvus"}, "keeps its vectors in milvus, not faiss"),
    ],
    ids=lambda v: "-".join(v) if isinstance(v, dict) else None,
)
def test_every_field_that_makes_the_vectors_is_a_mismatch(change: dict[str, Any], reason: str) -> None:
    found = wanted(FakeEncoder()).mismatch(_other(**change))
    assert found is not None and reason in found


def test_another_milvus_collection_is_a_mismatch(tmp_path: Path) -> None:
    settings = BackendSettings("milvus", "var/milvus.db")
    spec = wanted(FakeEncoder(), tmp_path, settings)
    elsewhere = replace(spec, collection="ragqa_somewhere")
    assert spec.mismatch(elsewhere) == "the index keeps its vectors in another Milvus collection (ragqa_somewhere)"


def test_the_first_difference_is_the_reason() -> None:
    found = wanted(FakeEncoder()).mismatch(_other(model_id="m3e-small", graph=1, max_chars=300))
    assert found == "the index was built with model 'm3e-small'"


def test_a_field_left_out_is_not_asked_about() -> None:
    everything_else = _other(
        fingerprint="def456", inference="torch", graph=None, prompts=(), max_chars=1, sentence_vectors="encoded"
    )
    assert IndexSpec(model_id="multilingual-e5-small").mismatch(everything_else) is None
    assert IndexSpec().mismatch(_other(model_id="m3e-small")) is None
    # An index that recorded no fingerprint is judged by its model id, as loading always judged it.
    assert IndexSpec(model_id="multilingual-e5-small", fingerprint="abc123").mismatch(_other(fingerprint=None)) is None


def test_an_exported_graph_is_asked_about_only_for_an_exported_index() -> None:
    torch_index = _other(inference="torch", graph=None)
    assert IndexSpec(graph=GRAPH_VERSION).mismatch(torch_index) is None
    assert IndexSpec(graph=GRAPH_VERSION).mismatch(_other()) is None
    assert "ONNX export has changed" in (IndexSpec(graph=GRAPH_VERSION).mismatch(_other(graph=1)) or "")


def test_an_old_manifest_reads_as_what_it_could_only_have_been() -> None:
    old = IndexSpec.from_manifest(OLD_MANIFEST)
    assert (old.inference, old.graph, old.sentence_vectors, old.backend) == ("torch", None, "encoded", "faiss")
    assert old.prompts == (("query", "query: "), ("passage", "passage: "))
    # Judged as before: it loads, an update under torch carries it over, a build that pools sentences
    # does not treat it as one of its own, and an ONNX encoder re-embeds it.
    check_model(OLD_MANIFEST, "multilingual-e5-small", "abc123", "old")
    torch = FakeEncoder(inference="torch")
    assert IndexSpec.of(torch, chunking_settings(400), backend=BackendSettings()).mismatch(old) is None  # type: ignore[arg-type]
    assert wanted(torch).mismatch(old) == "the index's sentence vectors were encoded, not pooled"
    assert wanted(FakeEncoder()).mismatch(old) == "the index was embedded by the torch engine, not onnx-int8"


def test_an_old_onnx_manifest_without_a_graph_version_is_another_export() -> None:
    old = {**OLD_MANIFEST, "model": {**OLD_MANIFEST["model"], "inference": "onnx-int8"}}
    found = IndexSpec.of(FakeEncoder(), chunking_settings(400)).mismatch(IndexSpec.from_manifest(old))  # type: ignore[arg-type]
    assert found is not None and "ONNX export has changed" in found


def test_a_malformed_manifest_part_reads_as_unrecorded() -> None:
    spec = IndexSpec.from_manifest({"model": {"id": "m"}, "chunking": None, "sentences": "pooled", "backend": []})
    assert (spec.chunker, spec.sentence_vectors, spec.backend) == (None, "encoded", "faiss")
    assert wanted(FakeEncoder(model_id="m")).mismatch(spec) is not None  # never taken for a current one


def test_loading_refuses_another_model_or_other_weights_with_the_reason() -> None:
    with pytest.raises(IndexUnavailable) as err:
        check_model(manifest_now(FakeEncoder()), "m3e-small", "f", "here")
    assert err.value.code == "model_mismatch"
    assert "'m3e-small'" in err.value.message and "RAGQA_MODEL=multilingual-e5-small" in err.value.message
    with pytest.raises(IndexUnavailable, match="other weights of model 'multilingual-e5-small'") as err:
        check_model(manifest_now(FakeEncoder()), "multilingual-e5-small", "def456", "here")
    assert "RAGQA_MODEL" not in err.value.message  # the same name: configuring it changes nothing
    # Questions may use another engine than the passages did; none configured checks nothing.
    check_model(manifest_now(FakeEncoder(inference="torch")), "multilingual-e5-small", "abc123", "here")
    check_model(manifest_now(FakeEncoder()), None, None, "here")


def test_serve_refuses_an_index_of_another_model_in_one_line(runner, tmp_path: Path) -> None:
    from tests.unit.store.test_versions import publish

    publish(tmp_path / "toy")  # its manifest names model "toy"
    result = runner.invoke(main, ["serve", "--index", str(tmp_path / "toy"), "--model", "m3e-small"])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "does not fit the configured model 'm3e-small'" in result.output and "model 'toy'" in result.output
