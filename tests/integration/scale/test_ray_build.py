"""A build whose embedding stage runs on a local Ray instance (two actors, each loading the real
model once) produces the index a local build produces, and a failed Ray job publishes nothing."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest

from qa.errors import RagqaError
from qa.ingest.indexer import build_index
from qa.ingest.ray_build import RayBuildFailed, RayEmbedder
from qa.pipeline import Pipeline
from qa.store import open_index, read_files, versions
from tests.helpers import DATA
from tests.integration.scale.extras import need

PAGE_QUESTIONS = [json.loads(line)["question"] for line in (DATA / "seed_labels.jsonl").read_text().splitlines()]
VECTOR_ATOL = 1e-5  # other batch mates, other padding: a few float32 ulps (tests/integration/ingest/test_update.py)


@pytest.fixture(scope="module")
def local_ray():
    ray = need("ray", "ray")
    need("ray.data", "ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield ray
    ray.shutdown()


def test_a_ray_build_equals_a_local_build(
    tmp_path: Path, corpus_dir: Path, index_dir: Path, encoder, local_ray
) -> None:
    lines: list[str] = []
    embed = RayEmbedder(encoder, "local", actors=2, batch_size=16, say=lines.append)
    report = build_index(corpus_dir, tmp_path / "ray", encoder, embed=embed)
    assert report.version == versions.pointer(tmp_path / "ray") and any("on Ray" in line for line in lines)
    on_ray, local = read_files(tmp_path / "ray"), read_files(index_dir)
    a, b = open_index(on_ray), open_index(local)
    assert a.records == b.records
    for name in ("documents.jsonl", *(n for n in local.data if n.startswith("bm25/"))):
        assert on_ray.data[name] == local.data[name], name
    np.testing.assert_allclose(
        a.dense.faiss_index.reconstruct_n(0, a.dense.size),  # type: ignore[attr-defined]
        b.dense.faiss_index.reconstruct_n(0, b.dense.size),  # type: ignore[attr-defined]
        atol=VECTOR_ATOL,
    )
    assert a.sentence_vectors.keys() == b.sentence_vectors.keys()
    results = [
        [(r.answer.text if r.answer else None, [p.passage.id for p in r.passages]) for r in p.ask_many(PAGE_QUESTIONS)]
        for p in (Pipeline.load(tmp_path / "ray", encoder=encoder), Pipeline.load(index_dir, encoder=encoder))
    ]
    assert results[0] == results[1]


def test_a_failed_ray_build_leaves_the_live_index(tmp_path: Path, corpus_dir: Path, encoder, local_ray) -> None:
    root = tmp_path / "index"
    build_index(corpus_dir, root, encoder)
    live = versions.pointer(root)
    broken = copy.copy(encoder)
    broken.model_id = str(tmp_path / "no-such-model")  # every actor fails to load it
    with pytest.raises(RagqaError) as failed:
        build_index(corpus_dir, root, encoder, embed=RayEmbedder(broken, "local", actors=1))
    assert isinstance(failed.value, RayBuildFailed) and "live index is unchanged" in failed.value.message
    assert versions.pointer(root) == live and versions.names(root) == [live]
