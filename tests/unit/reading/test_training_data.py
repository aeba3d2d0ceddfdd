"""The reader's training files (qa.reading.trained.training_data, `ragqa reader-data`) from tiny sources.

Small SQuAD files with the shared datasets' names are written here, with as many articles as the
folds need (8: XQuAD's fold 4/4 is two of them, DRCD test's fold 3/4 two others), so the held-out
rules run on the real code paths; the dictionary is a CC-CEDICT excerpt in its own format.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from qa.cli import main
from qa.reading.trained.training import load_examples
from qa.reading.trained.training_data import DataConfig, build

CEDICT = "誰 谁 [shei2] /who/\n什麼 什么 [shen2 me5] /what?/\n主教 主教 [zhu3 jiao4] /bishop/\n"


def _squad(prefix: str, articles: int, question: str, answer: str = "范廷颂", tail: str = "") -> dict[str, Any]:
    data = []
    for n in range(articles):
        context = f"{prefix}{n}号文章说，{answer}{tail}是主教。其他内容。"
        start = context.index(answer)
        qas = [
            {"id": f"{prefix}-{n}", "question": question, "answers": [{"text": answer + tail, "answer_start": start}]}
        ]
        data.append({"title": f"{prefix}-{n}", "paragraphs": [{"context": context, "qas": qas}]})
    return {"version": prefix, "data": data}


@pytest.fixture
def sources(tmp_path: Path) -> Path:
    folder = tmp_path / "datasets"
    folder.mkdir()
    cmrc = _squad("cmrc", 3, "谁是主教？", tail="。")
    cmrc["data"][1]["paragraphs"][0]["qas"][0]["answers"][0]["answer_start"] += 1  # one off, as 21 real ones are
    files = {
        "cmrc2018_train.json": cmrc,
        "cmrc2018_dev.json": _squad("cmrcdev", 2, "谁是主教？"),
        "DRCD_dev.json": _squad("drcddev", 2, "誰是主教？"),
        "DRCD_test.json": _squad("drcdtest", 8, "誰是主教？"),
        "xquad_zh_part.json": _squad("xquad", 8, "谁是主教？"),
        "xquad_en_part.json": _squad("xquad", 8, "Who is the bishop?"),
    }
    for name, squad in files.items():
        (folder / name).write_text(json.dumps(squad, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "cedict.txt").write_text(CEDICT, encoding="utf-8")
    return folder


def _config(sources: Path, **kwargs: Any) -> DataConfig:
    return DataConfig(str(sources), str(sources.parent / "out"), cedict=str(sources.parent / "cedict.txt"), **kwargs)


def _titles(path: str) -> set[str]:
    return {a["title"] for a in json.loads(Path(path).read_text(encoding="utf-8"))["data"]}


def test_no_held_out_article_is_in_any_training_file(sources: Path) -> None:
    manifest = build(_config(sources, code_switch=1.0), progress=lambda _: None)
    held_out = (
        {f"xquad-{n}" for n in (3, 7)} | {f"drcdtest-{n}" for n in (0, 1, 3, 4, 5, 7)} | {"cmrcdev-0", "cmrcdev-1"}
    )
    trained: set[str] = set()
    for row in manifest["training"]:
        trained |= _titles(row["file"])
        assert "cmrc2018_dev" not in row["file"]
    assert trained.isdisjoint(held_out)
    assert {"xquad-0", "drcdtest-2", "drcdtest-6", "cmrc-0", "drcddev-0"} <= trained
    # what the trainer itself reads from the files of the training command: no held-out article's context
    files = [row["file"] for row in manifest["training"]]
    assert all(f"--data {f}" in manifest["train_command"] for f in files)
    contexts = {e.context for e in load_examples(files)}
    assert not any(c.startswith(("xquad3", "xquad7", "drcdtest0", "drcdtest1", "cmrcdev")) for c in contexts)
    assert {c[:10] for c in contexts if c.startswith("drcdtest")} == {"drcdtest2号", "drcdtest6号"}


def test_held_out_xquad_is_written_for_evaluation_in_both_languages(sources: Path) -> None:
    build(_config(sources), progress=lambda _: None)
    english = json.loads((sources.parent / "out" / "heldout" / "xquad_en_over_zh.json").read_text(encoding="utf-8"))
    assert [a["title"] for a in english["data"]] == ["xquad-3", "xquad-7"]
    paragraph = english["data"][0]["paragraphs"][0]
    assert paragraph["qas"][0]["question"] == "Who is the bishop?" and paragraph["context"].startswith("xquad3")


def test_golds_are_trimmed_and_located_and_counted(sources: Path) -> None:
    manifest = build(_config(sources), progress=lambda _: None)
    cmrc = json.loads((sources.parent / "out" / "cmrc2018_train_short.json").read_text(encoding="utf-8"))
    for article in cmrc["data"]:
        for paragraph in article["paragraphs"]:
            answer = paragraph["qas"][0]["answers"][0]
            assert answer["text"] == "范廷颂"
            assert paragraph["context"][answer["answer_start"] :].startswith("范廷颂")
    changed = manifest["changed"]["cmrc2018_train_short.json"]
    assert changed["trailing sentence mark cut"] == 3
    assert changed["answer_start corrected (text found within 10 characters)"] == 1


def test_code_switched_questions_keep_their_answers_and_are_seeded(sources: Path) -> None:
    first = build(_config(sources, code_switch=1.0), progress=lambda _: None)["code_switch"]
    switched = json.loads((sources.parent / "out" / "code_switched.json").read_text(encoding="utf-8"))
    qas = [(p, qa) for a in switched["data"] for p in a["paragraphs"] for qa in p["qas"]]
    assert len(qas) == 3 + 2 + 2  # CMRC train, DRCD dev, DRCD test fold 3/4
    for paragraph, qa in qas:
        answer = qa["answers"][0]
        assert paragraph["context"][answer["answer_start"] :].startswith(answer["text"])
        assert "谁" not in qa["question"] and ("who" in qa["question"] or "Who" in qa["question"])
    assert build(_config(sources, code_switch=1.0), progress=lambda _: None)["code_switch"] == first


def test_the_command_writes_the_files_and_prints_the_training_command(sources: Path) -> None:
    out = sources.parent / "cli-out"
    result = CliRunner().invoke(
        main,
        ["reader-data", "--sources", str(sources), "--out", str(out), "--cedict", str(sources.parent / "cedict.txt")],
    )
    assert result.exit_code == 0, result.output
    assert "ragqa train-reader" in result.output and "drcd_test_fold3of4.json" in result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["sources"]["cmrc2018_train.json"]["sha256"]
    assert {Path(row["file"]).name for row in manifest["training"]} >= {
        "cmrc2018_train_short.json",
        "code_switched.json",
    }


def test_the_command_says_what_is_missing(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["reader-data", "--sources", str(tmp_path), "--out", str(tmp_path / "out")])
    assert result.exit_code != 0
    assert "cmrc2018_train.json is missing" in result.output
