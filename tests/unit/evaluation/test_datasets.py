"""Choosing the reader's threshold and retrieval weight from labels: the curve against a brute-force
count, the choice, folds by article, and the score blend the pipeline uses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.errors import BadRequest
from qa.evaluation.datasets import fold, load_dataset


def test_folds_split_by_article_and_cover_every_question(tmp_path: Path) -> None:
    data = {
        "data": [
            {
                "title": f"t{a}",
                "paragraphs": [
                    {
                        "context": f"文章{a}段{p}",
                        "qas": [
                            {"id": f"{a}-{p}-{q}", "question": "问?", "answers": [{"text": "文章", "answer_start": 0}]}
                            for q in range(2)
                        ],
                    }
                    for p in range(2)
                ],
            }
            for a in range(5)
        ]
    }
    path = tmp_path / "d.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    ds = load_dataset(path)
    one, two = fold(ds, 1, 2), fold(ds, 2, 2)
    assert {e.id.split("-")[0] for e in one.examples} == {"0", "2", "4"}
    assert {e.id.split("-")[0] for e in two.examples} == {"1", "3"}
    assert sorted(e.id for e in one.examples + two.examples) == sorted(e.id for e in ds.examples)
    assert one.articles == ds.articles  # every context stays indexed: the folds share distractors
    with pytest.raises(BadRequest):
        fold(ds, 3, 2)


def test_bad_fold_is_a_one_line_cli_error(runner, tmp_path: Path) -> None:
    from qa.cli import main

    path = tmp_path / "l.jsonl"
    path.write_text('{"question": "q", "answers": ["a"]}\n', encoding="utf-8")
    result = runner.invoke(main, ["eval", str(path), "--fold", "two"])
    assert result.exit_code == 2 and "K/N" in result.output and "Traceback" not in result.output
