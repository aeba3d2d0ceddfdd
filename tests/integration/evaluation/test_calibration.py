"""Choosing the reader's threshold and retrieval weight from labels: the curve against a brute-force
count, the choice, folds by article, and the score blend the pipeline uses."""

from __future__ import annotations

import json
from pathlib import Path

from qa.evaluation.datasets import load_dataset
from tests.helpers import DATA


def test_evidence_is_high_for_the_passage_about_the_question_and_low_for_off_topic_ones(pipeline) -> None:
    asked = "福建三峡海上风电国际产业园占地多少亩？"
    vectors = pipeline.encoder.encode_queries([asked, "如何学习弹钢琴？"])
    on, off = pipeline.retriever.search_many([asked, "如何学习弹钢琴？"], vectors, 5)
    on_topic = [pipeline.evidence(h, asked) for h in on]
    off_topic = [pipeline.evidence(h, "如何学习弹钢琴？") for h in off]
    assert all(0.0 <= e <= 1.0 for e in on_topic + off_topic)
    assert "1000亩" in pipeline.passages[on[0].row].text
    assert on_topic[0] == max(on_topic) and on_topic[0] > max(off_topic) + 0.2


def test_calibrate_reader_adds_questions_asked_of_another_index(runner, tmp_path: Path, index_dir: Path) -> None:
    """`--also DATASET INDEX` adds that set's cases (e.g. the shipped corpus's unanswerable questions)
    to the ones the choice is made on; --dry-run leaves reader.json as it was."""
    import shutil

    from qa.cli import main
    from qa.reading.router import DEFAULT_READER

    reader = tmp_path / "reader"
    shutil.copytree(DEFAULT_READER, reader)
    before = (reader / "reader.json").read_text(encoding="utf-8")
    labels, heldout = DATA / "seed_labels.jsonl", DATA / "seed_heldout.jsonl"
    limit = 6  # questions per dataset: the plumbing, not the choice, is under test
    common = ["calibrate-reader", str(labels), "--reader", str(reader), "--index", str(index_dir), "--dry-run"]
    common += ["--limit", str(limit)]
    alone = runner.invoke(main, common + ["--json", str(tmp_path / "alone.json")])
    both = runner.invoke(main, common + ["--json", str(tmp_path / "both.json"), "--also", str(heldout), str(index_dir)])
    assert alone.exit_code == 0 and both.exit_code == 0, alone.output + both.output
    one, two = (json.loads((tmp_path / f"{n}.json").read_text(encoding="utf-8")) for n in ("alone", "both"))
    added = min(limit, len(load_dataset(heldout).examples))
    assert two["cases"]["answerable"] == one["cases"]["answerable"] + added  # every held-out question has an answer
    assert one["cases"]["without_answer"] < two["cases"]["without_answer"] <= one["cases"]["without_answer"] + added
    assert two["settings"]["also"] == [[str(heldout), str(index_dir)]]
    assert (reader / "reader.json").read_text(encoding="utf-8") == before
    missing = runner.invoke(main, common + ["--also", str(heldout), str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "nowhere" in missing.output and "Traceback" not in missing.output
