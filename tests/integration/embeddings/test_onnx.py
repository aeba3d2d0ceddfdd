"""The ONNX Runtime engines against torch, the reference: same vectors (fp32) or within cosine 0.99
(int8) on the shipped page, exported once, recorded in the index and followed by its questions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from embeddings.encoder import exported_graph, load_encoder
from embeddings.onnx_engine import exported_path, query_graph_path
from qa.ingest.indexer import build_index
from qa.pipeline import Pipeline
from qa.store import read_manifest
from tests.helpers import ROOT, SEED

QUESTIONS = ["福建三峡海上风电国际产业园占地多少亩？", "How tall is the solar tower?", "链主企业有多少家"]


@pytest.fixture(scope="module")
def page_texts() -> list[str]:
    paragraphs = [p.strip() for p in SEED.read_text(encoding="utf-8").split("\n\n") if len(p.strip()) > 20]
    return paragraphs[:24]


@pytest.mark.parametrize(("inference", "least"), [("onnx", 0.9999), ("onnx-int8", 0.99)])
def test_vectors_match_torch(encoder, page_texts: list[str], inference: str, least: float) -> None:
    engine = load_encoder(inference=inference)
    assert engine.inference == inference and engine.dim == encoder.dim
    assert engine.model is None  # no torch copy of the weights beside the engine's
    for texts, encode, reference in [
        (page_texts, engine.encode_passages, encoder.encode_passages),
        (QUESTIONS, engine.encode_queries, encoder.encode_queries),
    ]:
        got, want = encode(texts), reference(texts)
        assert got.dtype == np.float32 and got.shape == want.shape
        assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
        assert float((got * want).sum(axis=1).min()) >= least


def test_the_export_is_made_once_and_kept_by_fingerprint(encoder) -> None:
    load_encoder(inference="onnx-int8")
    path = exported_path(encoder.model_id, encoder.fingerprint, quantized=True)
    made = path.stat().st_mtime_ns
    load_encoder(inference="onnx-int8")
    assert path.stat().st_mtime_ns == made
    assert exported_path(encoder.model_id, "another-fingerprint", quantized=True) != path


def test_an_index_records_its_engine_and_its_questions_use_it(corpus_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "index"
    build_index(corpus_dir, target, load_encoder(inference="onnx-int8"))
    assert read_manifest(target)["model"]["inference"] == "onnx-int8"
    pipeline = Pipeline.load(target, reader_dir="heuristic")
    assert pipeline.encoder.inference == "onnx-int8"
    result = pipeline.ask("福建三峡海上风电国际产业园占地多少亩？")
    assert "1000亩" in result.passages[0].passage.text


def test_an_unknown_engine_is_a_one_line_error(runner, tmp_path: Path) -> None:
    from qa.cli import main

    result = runner.invoke(main, ["index", "--index", str(tmp_path / "i"), "--inference", "tensorrt"])
    assert result.exit_code == 2 and "tensorrt" in result.output and "Traceback" not in result.output


def test_a_pipeline_on_onnx_runtime_never_imports_torch(corpus_dir: Path, tmp_path: Path) -> None:
    """A server worker on the default engines loads neither torch nor sentence-transformers: they
    would take ~300 MB of its memory for weights it does not use."""
    target = tmp_path / "index"
    build_index(corpus_dir, target, load_encoder(inference="onnx-int8"))
    Pipeline.load(target, reader_inference="onnx-int8")  # exports the reader once if this machine never did
    code = (
        "import sys; from qa.pipeline import Pipeline; "
        "p = Pipeline.load(sys.argv[1], reader_inference='onnx-int8', threads=1); "
        "a = p.ask(sys.argv[2]).answer; "
        "print([m for m in ('torch', 'sentence_transformers') if m in sys.modules], a.text if a else None)"
    )
    run = subprocess.run(
        [sys.executable, "-c", code, str(target), QUESTIONS[0]], capture_output=True, text=True, cwd=ROOT, check=True
    )
    loaded, answer = run.stdout.strip().splitlines()[-1].split(" ", 1)
    assert loaded == "[]"
    assert "1000" in answer  # and it answers: 占地1000亩


def test_questions_have_their_own_graph_and_a_worker_never_loads_the_passages(corpus_dir: Path, tmp_path: Path) -> None:
    """Under onnx-int8 questions go through the questions' graph (embeddings.query_graph); a pipeline
    that only answers never loads the passages' graph, ~140 MB of a worker's memory budget."""
    target = tmp_path / "index"
    build_index(corpus_dir, target, load_encoder(inference="onnx-int8"))
    pipeline = Pipeline.load(target, reader_dir="heuristic", threads=1)
    encoder = pipeline.encoder
    assert encoder.query_engine is not None
    assert exported_graph(None, "onnx-int8") == query_graph_path(encoder.model_id, encoder.fingerprint)
    assert "1000亩" in pipeline.ask(QUESTIONS[0]).passages[0].passage.text
    assert encoder._engine is None  # the index holds every sentence vector: no passage was embedded
    assert encoder.encode_passages(["一段文字"]).shape == (1, encoder.dim)  # loaded when a passage is
    assert encoder._engine is not None
