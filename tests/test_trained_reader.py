"""The shipped trained reader (models/reader-m3e-small) as users get it: the default, routed by
script, calibrated, exact on the offsets, and better than the heuristic on questions written after it.

Levels sit a little under what was measured (docs/quality.md: held-out seed questions EM 88.9,
regression set EM 62.5 with 9 of 10 unanswerable abstained), so a real regression fails.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa import evaluate as ev
from qa.datasets import load_dataset
from qa.extractive_reader import ExtractiveReader, load_reader
from qa.indexer import build_index
from qa.pipeline import DEFAULT_READER, Pipeline
from qa.reader import HeuristicReader

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory, encoder) -> Pipeline:
    """The shipped page indexed with the default model, default reader: what `make run` serves."""
    target = tmp_path_factory.mktemp("shipped") / "index"
    build_index(ROOT / "corpus", target, encoder)
    return Pipeline.load(target, encoder=encoder)


def test_the_shipped_reader_is_small_calibrated_and_the_default(pipeline: Pipeline) -> None:
    assert (DEFAULT_READER / "reader.safetensors").stat().st_size < 50 * 2**20
    meta = json.loads((DEFAULT_READER / "reader.json").read_text(encoding="utf-8"))
    assert meta["run"]["finished"] is True
    assert meta["calibration"]["cases"]["without_answer"] > 100  # chosen from labels, not by hand
    assert meta["settings"]["threshold"] == pytest.approx(meta["calibration"]["chosen"]["threshold"])
    assert isinstance(pipeline.reader.han, ExtractiveReader) and isinstance(pipeline.reader.other, HeuristicReader)
    assert "ExtractiveReader" in pipeline.info()["reader"]


def test_questions_go_to_the_reader_of_their_script(pipeline: Pipeline) -> None:
    trained = pipeline.policy("福建三峡海上风电国际产业园占地多少亩？")
    english = pipeline.policy("How tall is the tower?")
    assert trained.retrieval_weight > 0 and trained.threshold == pipeline.reader.han.threshold
    assert english.retrieval_weight == 0 and english.threshold != trained.threshold


def test_held_out_seed_questions_get_the_exact_fact(shipped: Pipeline) -> None:
    summary = ev.summarize(ev.run(shipped, [load_dataset(DATA / "seed_heldout.jsonl")], top_k=5, progress=False))
    heuristic = Pipeline.load(shipped.index_dir, encoder=shipped.encoder, reader_dir="heuristic")
    before = ev.summarize(ev.run(heuristic, [load_dataset(DATA / "seed_heldout.jsonl")], top_k=5, progress=False))
    assert summary["em"] >= 75 and summary["em"] > before["em"] + 15


def test_regression_set_with_the_trained_reader(shipped: Pipeline) -> None:
    summary = ev.summarize(ev.run(shipped, [load_dataset(DATA / "seed_labels.jsonl")], top_k=5, progress=False))
    assert summary["recall@5"] >= 0.95 and summary["em"] >= 55
    assert summary["abstention_accuracy"] >= 0.9


def test_traditional_full_width_and_digits_map_back_exactly() -> None:
    reader = load_reader(DEFAULT_READER)
    simplified = "位于福建省福清市的福建三峡海上风电国际产业园总投资40亿元，占地1000亩，是我国首个全产业链海上风电产业园。"
    cases = [
        ("福建三峡海上风电国际产业园占地多少亩？", simplified),
        ("福建三峽海上風電國際產業園佔地多少畝？", "位於福建省福清市的福建三峽海上風電國際產業園總投資40億元，佔地1000畝，是我國首個全產業鏈海上風電產業園。"),
        ("福建三峡海上风电国际产业园占地多少亩？", simplified.replace("1000", "１０００")),
    ]
    spans = []
    for question, text in cases:
        reading = reader.read_many([question], [[text]])[0][0]
        assert reading.answer is not None
        s, e = reading.answer
        spans.append((s, e, text[s:e]))
    assert [t for _, _, t in spans] == ["1000亩", "1000畝", "１０００亩"]
    assert len({(s, e) for s, e, _ in spans}) == 1  # same code points whatever the script or width


def test_a_missing_reader_is_a_one_line_error(runner, index_dir: Path, tmp_path: Path) -> None:
    from qa.cli import main

    result = runner.invoke(main, ["eval", str(DATA / "seed_labels.jsonl"), "--index", str(index_dir),
                                  "--reader", str(tmp_path / "no-reader")])
    assert result.exit_code != 0 and "cannot load the reader" in result.output and "Traceback" not in result.output
