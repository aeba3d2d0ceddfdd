"""`ragqa eval`: datasets in both formats, the report, and the shipped corpus's regression set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from embeddings.encoder import DEFAULT_MODEL
from qa.cli import main
from qa.errors import BadRequest
from qa.evaluation import evaluate as ev
from qa.evaluation.datasets import load_dataset
from qa.ingest.indexer import build_index
from qa.pipeline import Pipeline
from tests.helpers import DATA, ROOT

SQUAD = {
    "version": "test",
    "data": [
        {
            "title": "青海湖",
            "paragraphs": [
                {
                    "context": "青海湖是中国最大的内陆咸水湖，面积约4400平方千米。湖中的鸟岛是斑头雁的繁殖地。",
                    "qas": [
                        {
                            "id": "q1",
                            "question": "青海湖的面积约多少平方千米？",
                            "answers": [{"text": "4400平方千米", "answer_start": 18}],
                        },
                        {
                            "id": "q2",
                            "question": "鸟岛是什么鸟的繁殖地？",
                            "answers": [{"text": "斑头雁", "answer_start": 31}],
                        },
                    ],
                }
            ],
        },
        {
            "title": "Atacama",
            "paragraphs": [
                {
                    "context": "The Cerro Dominador tower stands 252 metres tall. "
                    "It began commercial operation in June 2021.",
                    "qas": [
                        {
                            "id": "q3",
                            "question": "When did Cerro Dominador begin commercial operation?",
                            "answers": [{"text": "June 2021", "answer_start": 82}],
                        },
                        {"id": "q4", "question": "Who painted the Mona Lisa?", "answers": [], "is_impossible": True},
                    ],
                }
            ],
        },
    ],
}


@pytest.fixture()
def squad_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny_squad.json"
    path.write_text(json.dumps(SQUAD, ensure_ascii=False), encoding="utf-8")
    return path


def test_squad_and_jsonl_load_alike(squad_file: Path, tmp_path: Path) -> None:
    squad = load_dataset(squad_file)
    assert [e.id for e in squad.examples] == ["q1", "q2", "q3", "q4"]
    assert squad.examples[3].answerable is False and len(squad.articles) == 2
    labels = tmp_path / "labels.jsonl"
    labels.write_text(
        '{"question": "q?", "answers": ["a", "a", "b"], "context": "a b"}\n\n{"question": "none?", "answers": []}\n',
        encoding="utf-8",
    )
    mine = load_dataset(labels)
    assert [e.answers for e in mine.examples] == [["a", "b"], []] and mine.articles == [("labels-0", ["a b"])]


@pytest.mark.parametrize(
    "content,suffix",
    [
        ("{not json", ".json"),
        ('{"data": [{"paragraphs": [{}]}]}', ".json"),
        ('{"question": 3, "answers": []}', ".jsonl"),
        ('{"answers": ["x"]}', ".jsonl"),
    ],
)
def test_malformed_datasets_are_clear_errors(tmp_path: Path, content: str, suffix: str) -> None:
    path = tmp_path / f"bad{suffix}"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BadRequest, match="bad"):
        load_dataset(path)


def test_summary_counts_by_hand() -> None:
    outcomes = [
        ev.Outcome("d", "1", "q", ["a"], "a", 0.9, 1.0, 1.0, 1, 10.0),
        ev.Outcome("d", "2", "q", ["b"], "bc", 0.5, 0.0, 2 / 3, 3, 20.0),
        ev.Outcome("d", "3", "q", ["c"], None, None, 0.0, 0.0, None, 30.0),
        ev.Outcome("d", "4", "q", [], None, None, 0.0, 0.0, None, 40.0),
    ]
    s = ev.summarize(outcomes)
    assert (s["questions"], s["answerable"], s["unanswerable"]) == (4, 3, 1)
    assert s["recall@1"] == pytest.approx(1 / 3) and s["recall@5"] == pytest.approx(2 / 3)
    assert s["mrr"] == pytest.approx((1 + 1 / 3) / 3)
    assert s["em"] == pytest.approx(100 / 3) and s["f1"] == pytest.approx(100 * (1 + 2 / 3) / 3)
    assert s["null_rate"] == 0.5 and s["abstention_accuracy"] == 1.0
    assert s["latency_ms_mean"] == 25.0 and s["latency_ms_p95"] == 40.0


def test_eval_build_scores_a_squad_file(runner, squad_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = runner.invoke(main, ["eval", str(squad_file), "--build", "--json", str(out), "--top-k", "5"])
    assert result.exit_code == 0, result.output
    assert "R@1" in result.output and "tiny_squad" in result.output
    report = json.loads(out.read_text())
    overall = report["overall"]
    assert overall["questions"] == 4 and overall["answerable"] == 3
    assert overall["recall@5"] == 1.0  # a two-article collection: retrieval must find the gold paragraph
    by_id = {q["id"]: q for q in report["questions"]}
    assert by_id["q1"]["prediction"] and "4400" in by_id["q1"]["prediction"]
    assert by_id["q3"]["em"] == 1.0
    assert report["settings"]["built"] is True and report["settings"]["model"] == DEFAULT_MODEL


def test_eval_skips_blank_questions_and_scores_the_rest(runner, squad_file: Path, tmp_path: Path) -> None:
    """CMRC 2018 carries blank questions; one used to stop the whole run with "the question is empty"."""
    data = json.loads(squad_file.read_text(encoding="utf-8"))
    qas = data["data"][0]["paragraphs"][0]["qas"]
    qas += [{"id": "blank-1", "question": "", "answers": []}, {"id": "blank-2", "question": " \n", "answers": []}]
    path = tmp_path / "cmrc_like.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "report.json"
    result = runner.invoke(main, ["eval", str(path), "--build", "--json", str(out), "--top-k", "5"])
    assert result.exit_code == 0, result.output
    assert "cmrc_like: skipped 2 malformed record(s): blank-1 (blank question), blank-2 (blank question)" in (
        result.output
    )
    report = json.loads(out.read_text())
    assert report["overall"]["questions"] == 4 and {q["id"] for q in report["questions"]} == {"q1", "q2", "q3", "q4"}
    assert [s["id"] for s in report["settings"]["skipped"]["cmrc_like"]] == ["blank-1", "blank-2"]


def test_calibrate_reader_skips_malformed_records(runner, tmp_path: Path, index_dir: Path) -> None:
    import shutil

    from qa.reading.router import DEFAULT_READER

    reader = tmp_path / "reader"
    shutil.copytree(DEFAULT_READER, reader)
    labels = tmp_path / "labels.jsonl"
    lines = (DATA / "seed_labels.jsonl").read_text(encoding="utf-8").splitlines()[:3]
    labels.write_text("\n".join([*lines, '{"id": "empty", "question": "", "answers": ["x"]}']), encoding="utf-8")
    args = ["calibrate-reader", str(labels), "--reader", str(reader), "--index", str(index_dir), "--dry-run"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert (
        "labels: skipped 1 malformed record(s): empty (blank question)" in result.output and "chosen:" in result.output
    )


def test_eval_limit_and_held_out_format_without_code_change(
    runner, squad_file: Path, index_dir: Path, tmp_path: Path
) -> None:
    labels = tmp_path / "held_out.jsonl"
    labels.write_text(
        '{"question": "青海湖的面积约多少平方千米？", "answers": ["4400平方千米"]}\n'
        '{"question": "博物馆成人门票多少元？", "answers": ["60元"]}\n',
        encoding="utf-8",
    )
    result = runner.invoke(main, ["eval", str(squad_file), str(labels), "--build", "--limit", "1"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("tiny_squad") and " 1 " in line for line in lines)
    assert any(line.startswith("overall") for line in lines)
    on_index = runner.invoke(main, ["eval", str(labels), "--index", str(index_dir)])
    assert on_index.exit_code == 0, on_index.output


def test_eval_errors_are_one_line(runner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[]", encoding="utf-8")
    result = runner.invoke(main, ["eval", str(bad), "--build"])
    assert result.exit_code != 0 and "Traceback" not in result.output and "SQuAD" in result.output


@pytest.mark.parametrize("which", ["heuristic_pipeline", "m3e_pipeline"])
def test_shipped_corpus_regression(which: str, request: pytest.FixtureRequest) -> None:
    """The labelled questions about the shipped page (tests/data/seed_labels.jsonl), heuristic reader, either model.

    The heuristic was tuned on these questions; the trained reader's figures on them and on
    questions written after it (seed_heldout.jsonl) are checked in test_trained_reader.py.

    Thresholds sit a little under what the pipeline scores today (EM 100, F1 100, recall@5 1.0,
    10 of 10 unanswerable abstained), so a real regression fails the build but one borderline
    question does not: EM >= 85 lets 3 of 24 answerable questions drift, abstention >= 0.9 lets
    one of the six corpus-adjacent unanswerable questions (上海的人口是多少？) through.
    """
    data = load_dataset(DATA / "seed_labels.jsonl")
    summary = ev.summarize(ev.run(request.getfixturevalue(which), [data], top_k=10, progress=False))
    assert summary["answerable"] >= 20 and summary["unanswerable"] >= 10
    assert summary["recall@5"] >= 0.95
    assert summary["em"] >= 85 and summary["f1"] >= 90
    assert summary["abstention_accuracy"] >= 0.9
    answered = summary["null_rate"] * summary["questions"] - summary["unanswerable"]
    assert answered <= 1  # at most one answerable question without an answer


def test_english_questions_find_the_chinese_passage(tmp_path: Path, encoder) -> None:
    """What `make run` serves: the shipped page indexed with the default model, asked in English.

    tests/data/seed_english.jsonl; measured: recall@1 7 of 12, recall@5 11 of 12 (m3e-small: 1 and 3).
    In a corpus that mixes languages English passages outrank Chinese ones for English questions
    (docs/quality.md), so this is measured on the shipped corpus alone, as a new user meets it.
    """
    build_index(ROOT / "corpus", tmp_path / "index", encoder)
    pipeline = Pipeline.load(tmp_path / "index", encoder=encoder)
    data = load_dataset(DATA / "seed_english.jsonl")
    summary = ev.summarize(ev.run(pipeline, [data], top_k=10, progress=False))
    assert summary["recall@1"] >= 0.5 and summary["recall@5"] >= 0.8
