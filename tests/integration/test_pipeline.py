"""The pipeline end to end on a real index: answers, null answers and the offset contract."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from qa.errors import BadRequest, IndexUnavailable
from qa.ingest.indexer import build_index
from qa.pipeline import Pipeline
from qa.store.versions import resolve

# (question, a string the answer must contain); the first three are the issue's own examples,
# the rest are questions of the same kinds written for these tests.
ANSWERABLE = [
    ("福建三峡海上风电国际产业园占地多少亩？", "1000亩"),
    ("郑州高新区第一批复审通过的链主企业有多少家？", "19家"),
    ("吡咯替尼是哪家公司的产品？", "和黄医药"),
    ("特瑞普利单抗是哪家公司的产品？", "君实生物"),
    ("福建三峡海上风电国际产业园总投资多少？", "40亿元"),
    ("郑州高新区新增第二批链主企业多少家？", "15家"),
    ("截至2023年底，肇庆高新区智能网联新能源汽车产业集群共有多少家企业？", "142家"),
    ("襄阳佳荣汽车零部件智能制造项目新建多少栋标准厂房？", "42栋"),
    ("谷美替尼片何时获日本厚生劳动省批准上市？", "6月"),
    ("浦东生命科学产业发展有限公司副总经理是谁？", "刘刚"),
    ("上海药物所成果转化处处长是谁？", "李平"),
    ("How many heliostats surround the Cerro Dominador tower?", "10,600"),
    ("When did the Cerro Dominador plant begin commercial operation?", "June 2021"),
    ("青海湖的面积约多少平方千米？", "4400"),
    ("博物馆成人门票多少元？", "60元"),
]
UNANSWERABLE = [
    "量子计算机的工作原理是什么？",
    "如何学习弹钢琴？",
    "今天北京的天气怎么样？",
    "What is the capital of Australia?",
]
# Questions of every script and shape, for the offset invariants.
VARIED = (
    [q for q, _ in ANSWERABLE]
    + UNANSWERABLE
    + [
        "吡咯替尼",
        "ＡＩ药物研发",
        "PD-1抑制剂是什么？",
        "Paxlovid",
        "2/3的全球药械20强企业",
        "🚀 新能源汽车",
        "Which company developed the solar plant?",
        "molten-salt storage hours",
        "链主",
        "a",
        "？？？",
        "18兆瓦",
        "<img src=x onerror=alert(1)>",
        "青海湖 birds",
        "張江科學城的新藥",
        "museum opening hours 9:30",
    ]
)


@pytest.mark.parametrize("question,expected", ANSWERABLE)
def test_heuristic_answers_contain_the_fact(heuristic_pipeline: Pipeline, question: str, expected: str) -> None:
    """The heuristic reader on the questions it was written against (the trained reader: test_trained_reader.py)."""
    result = heuristic_pipeline.ask(question)
    assert result.answer is not None, f"no answer for {question}"
    assert expected in result.answer.text or (result.answer.text in expected and len(result.answer.text) >= 2)


@pytest.mark.parametrize("question", UNANSWERABLE)
def test_questions_the_corpus_cannot_answer_get_null(pipeline: Pipeline, question: str) -> None:
    assert pipeline.ask(question).answer is None


def test_pyrotinib_question_retrieves_the_hutchmed_passage(pipeline: Pipeline) -> None:
    result = pipeline.ask("吡咯替尼是哪家公司的产品？")
    assert any("和黄医药" in r.passage.text for r in result.passages)


@pytest.mark.parametrize("question", VARIED)
def test_offsets_index_the_returned_text(pipeline: Pipeline, question: str) -> None:
    data = pipeline.ask(question, top_k=8).to_dict()
    json.dumps(data)  # the response is plain JSON
    assert 1 <= len(data["passages"]) <= 8
    for p in data["passages"]:
        kinds = [h["kind"] for h in p["highlights"]]
        assert kinds.count("answer") <= 1 and kinds.count("sentence") <= 1
        for h in p["highlights"]:
            assert 0 <= h["start"] < h["end"] <= len(p["text"])
            assert h["kind"] in {"answer", "sentence", "term"}
    answer = data["answer"]
    if answer is not None:
        holder = [p for p in data["passages"] if p["id"] == answer["passage_id"]]
        assert len(holder) == 1
        assert holder[0]["text"][answer["start"] : answer["end"]] == answer["text"]
        spans = [(h["start"], h["end"]) for h in holder[0]["highlights"] if h["kind"] == "answer"]
        assert spans == [(answer["start"], answer["end"])]
        sentence = next(h for h in holder[0]["highlights"] if h["kind"] == "sentence")
        assert sentence["start"] <= answer["start"] and answer["end"] <= sentence["end"]


def test_term_highlights_are_question_words(pipeline: Pipeline) -> None:
    data = pipeline.ask("福建三峡海上风电国际产业园占地多少亩？").to_dict()
    terms = {p["text"][h["start"] : h["end"]] for p in data["passages"] for h in p["highlights"] if h["kind"] == "term"}
    assert "占地" in terms and "福建" in terms
    assert (
        not terms
        - set("福建三峡海上风电国际产业园占地多少亩")
        - {"产业园", "福建", "三峡", "海上", "风电", "国际", "占地"}
    )


def test_ask_is_ask_many_of_one(pipeline: Pipeline) -> None:
    questions = ["福建三峡海上风电国际产业园占地多少亩？", "How many heliostats surround the Cerro Dominador tower?"]
    batch = pipeline.ask_many(questions, top_k=3)
    for question, result in zip(questions, batch):
        single = pipeline.ask(question, top_k=3)
        assert [r.passage.id for r in single.passages] == [r.passage.id for r in result.passages]
        assert single.answer == result.answer or single.answer.text == result.answer.text


def test_english_bm25_finds_english_text(pipeline: Pipeline) -> None:
    hits = pipeline.retriever.search_many(
        ["heliostats molten-salt"], pipeline.encoder.encode_queries(["heliostats molten-salt"]), 3
    )[0]
    assert any(h.bm25 for h in hits)
    assert "heliostats" in pipeline.passages[hits[0].row].text


@pytest.mark.parametrize(
    "question,top_k,code",
    [
        ("", 5, "empty_question"),
        ("   \n", 5, "empty_question"),
        ("问" * 513, 5, "question_too_long"),
        (None, 5, "invalid_question"),
        ("ok", 0, "invalid_top_k"),
        ("ok", 21, "invalid_top_k"),
        ("ok", True, "invalid_top_k"),
    ],
)
def test_bad_questions_are_refused(pipeline: Pipeline, question, top_k, code: str) -> None:
    with pytest.raises(BadRequest) as err:
        pipeline.ask(question, top_k)
    assert err.value.code == code and err.value.status == 400


def test_index_of_another_model_is_refused(index_dir: Path, tmp_path: Path, encoder) -> None:
    copy = tmp_path / "index"
    shutil.copytree(index_dir, copy)
    live = resolve(copy).path
    manifest = json.loads((live / "manifest.json").read_text())
    manifest["model"]["id"] = "some-other-model"
    (live / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexUnavailable) as err:
        Pipeline.load(copy, encoder=encoder)
    assert err.value.code == "model_mismatch" and err.value.status == 503
    assert "some-other-model" in err.value.message and encoder.model_id in err.value.message


def test_corrupt_index_is_refused(index_dir: Path, tmp_path: Path, encoder) -> None:
    copy = tmp_path / "index"
    shutil.copytree(index_dir, copy)
    with open(resolve(copy).path / "vectors.faiss", "r+b") as fh:
        fh.seek(100)
        fh.write(b"\xff\x00\xff")
    with pytest.raises(IndexUnavailable, match="corrupt"):
        Pipeline.load(copy, encoder=encoder)


def test_missing_index_says_how_to_build_one(tmp_path: Path, encoder) -> None:
    with pytest.raises(IndexUnavailable, match="ragqa index"):
        Pipeline.load(tmp_path / "nothing", encoder=encoder)


def test_failed_rebuild_leaves_the_old_index_in_place(corpus_dir: Path, tmp_path: Path, encoder, monkeypatch) -> None:
    target = tmp_path / "index"
    build_index(corpus_dir, target, encoder)
    live = resolve(target)
    before = (live.path / "manifest.json").read_text()

    def crash(*args, **kwargs):  # a crash while the new vectors are written
        raise RuntimeError("disk full")

    monkeypatch.setattr("qa.store.versions._fsync_tree", crash)
    with pytest.raises(RuntimeError):
        build_index(corpus_dir, target, encoder)
    assert resolve(target) == live and (live.path / "manifest.json").read_text() == before
    assert Pipeline.load(target, encoder=encoder).ask("青海湖的面积约多少平方千米？").passages
    assert sorted(p.name for p in (target / "versions").iterdir()) == [live.name]  # no temporary directory left behind


def test_an_index_whose_manifest_lists_no_checksums_is_refused(index_dir: Path, tmp_path: Path, encoder) -> None:
    copy = tmp_path / "index"
    shutil.copytree(index_dir, copy)
    live = resolve(copy).path
    manifest = json.loads((live / "manifest.json").read_text())
    del manifest["files"]
    (live / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexUnavailable, match="checksums"):
        Pipeline.load(copy, encoder=encoder)
    manifest = json.loads((resolve(index_dir).path / "manifest.json").read_text())
    (live / "manifest.json").write_text(json.dumps(manifest))
    (live / "extra.bin").write_bytes(b"x")
    with pytest.raises(IndexUnavailable, match="does not list"):
        Pipeline.load(copy, encoder=encoder)
