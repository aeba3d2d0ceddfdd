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


def _squad(qas: list[dict], context: str = "青海湖面积约4400平方千米。") -> dict:
    return {"data": [{"title": "湖", "paragraphs": [{"context": context, "qas": qas}]}]}


GOOD_QA = {"id": "ok", "question": "青海湖面积多少？", "answers": [{"text": "4400平方千米", "answer_start": 5}]}


@pytest.mark.parametrize(
    "broken,reason",
    [
        ({"id": "blank", "question": "   ", "answers": []}, "blank question"),
        ({"id": "none", "answers": []}, "blank question"),
        (
            {"id": "far", "question": "q?", "answers": [{"text": "斑头雁", "answer_start": 0}]},
            "answer not in its context",
        ),
        ({"id": "shape", "question": "q?", "answers": [{"start": 1}]}, "answers must be"),
        ({"id": "half", "question": "q\ud800?", "answers": []}, "lone surrogate"),
    ],
)
def test_a_malformed_squad_record_is_skipped_and_named(tmp_path: Path, broken: dict, reason: str) -> None:
    path = tmp_path / "cmrc.json"
    path.write_text(json.dumps(_squad([GOOD_QA, broken])), encoding="utf-8")  # escaped: "\ud800" can be sent
    ds = load_dataset(path)
    assert [e.id for e in ds.examples] == ["ok"]
    assert [s.id for s in ds.skipped] == [broken["id"]] and reason in ds.skipped[0].reason
    assert ds.skipped_summary().startswith("cmrc: skipped 1 malformed record(s): " + broken["id"])


def test_a_malformed_label_line_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "mine.jsonl"
    path.write_text(
        '{"question": "q?", "answers": ["a"]}\n{not json\n{"id": "b", "question": ""}\n'
        '{"id": "c", "question": "q?", "answers": ["x"], "context": "no such thing"}\n',
        encoding="utf-8",
    )
    ds = load_dataset(path)
    assert len(ds.examples) == 1 and [s.id for s in ds.skipped] == ["line 2", "b", "c"]


def test_a_label_line_holding_a_line_separator_is_one_line(tmp_path: Path) -> None:
    # Issue 29: JSON written with ensure_ascii=False carries U+2028/U+2029/U+0085 unescaped.
    path = tmp_path / "mine.jsonl"
    records = [
        {"id": sep, "question": f"问题{sep}？", "answers": ["答案"], "context": f"上文{sep}答案。"}
        for sep in ("\u2028", "\u2029", "\x85", "\x1c")
    ]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    ds = load_dataset(path)
    assert ds.skipped == [] and [(e.id, e.question, e.context) for e in ds.examples] == [
        (r["id"], r["question"], r["context"]) for r in records
    ]


def test_summary_names_the_first_few_only(tmp_path: Path) -> None:
    blanks = [{"id": f"b{n}", "question": "", "answers": []} for n in range(5)]
    path = tmp_path / "d.json"
    path.write_text(json.dumps(_squad([GOOD_QA, *blanks]), ensure_ascii=False), encoding="utf-8")
    summary = load_dataset(path).skipped_summary()
    assert "skipped 5" in summary and "b2" in summary and "b3" not in summary and summary.endswith(", ...")


def test_a_file_with_nothing_usable_is_refused_naming_what_was_skipped(tmp_path: Path) -> None:
    path = tmp_path / "blank.json"
    path.write_text(json.dumps(_squad([{"id": "x", "question": " ", "answers": []}])), encoding="utf-8")
    with pytest.raises(BadRequest, match=r"no usable labelled question.*x \(blank question\)"):
        load_dataset(path)
