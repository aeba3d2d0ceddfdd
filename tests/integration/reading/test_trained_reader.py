"""The shipped trained readers as users get them: models/reader-e5-small the default for every
question, reader-m3e-small a Chinese-only alternative routed by script, both calibrated, exact on
the offsets, and better than the heuristic on questions written after them.

Levels sit a little under what was measured (docs/quality.md: held-out seed questions EM 88.9,
16 of 18, against the heuristic's 55.6; regression set 23 of 24, with 10 of 10 unanswerable
abstained; English news EM 55.0 / F1 85.1), so a real regression fails.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from qa.answering import Answerer
from qa.evaluation import evaluate as ev
from qa.evaluation.datasets import load_dataset
from qa.ingest.indexer import build_index, index_documents
from qa.pipeline import Pipeline
from qa.reading.heuristic import HeuristicReader
from qa.reading.relevance import at
from qa.reading.router import DEFAULT_READER, DEFAULT_READERS
from qa.reading.trained.loading import load_reader
from qa.reading.trained.reader import ExtractiveReader
from qa.text.dates import date_spans
from tests.helpers import DATA, ROOT

CHINESE_READER = ROOT / "models" / "reader-m3e-small"


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory, encoder) -> Pipeline:
    """The shipped page indexed with the default model, default reader: what `make run` serves."""
    target = tmp_path_factory.mktemp("shipped") / "index"
    build_index(ROOT / "corpus", target, encoder)
    return Pipeline.load(target, encoder=encoder)


@pytest.mark.parametrize("folder", [*DEFAULT_READERS, CHINESE_READER], ids=lambda f: f.name)
def test_the_shipped_readers_are_small_and_calibrated(folder: Path) -> None:
    assert (folder / "reader.safetensors").stat().st_size < 50 * 2**20
    meta = json.loads((folder / "reader.json").read_text(encoding="utf-8"))
    assert meta["run"]["finished"] is True
    assert meta["calibration"]["cases"]["without_answer"] > 100  # chosen from labels, not by hand
    assert meta["settings"]["threshold"] == pytest.approx(meta["calibration"]["chosen"]["threshold"])


def test_the_default_reader_reads_every_question(pipeline: Pipeline) -> None:
    router = pipeline.reader
    assert isinstance(router.han, ExtractiveReader) and router.han.settings.base == "multilingual-e5-small"
    assert router.other is router.han and isinstance(router.fallback, HeuristicReader)
    assert router.policy("How tall is the tower?") == router.policy("福建三峡海上风电国际产业园占地多少亩？")
    assert pipeline.info()["reader"].endswith("over multilingual-e5-small (all questions)")
    assert pipeline.trained_readers == [router.han]


def _reader_copy(tmp_path: Path, source: Path = DEFAULT_READER, **settings: object) -> Path:
    folder = tmp_path / source.name
    shutil.copytree(source, folder)
    meta = json.loads((folder / "reader.json").read_text(encoding="utf-8"))
    meta["settings"].update(settings)
    (folder / "reader.json").write_text(json.dumps(meta), encoding="utf-8")
    return folder


def test_questions_go_to_the_reader_of_their_script(pipeline: Pipeline, tmp_path: Path) -> None:
    """reader-m3e-small takes the Chinese questions, a reader set to "other" the rest, each on its own scale."""
    readers = [load_reader(CHINESE_READER), load_reader(_reader_copy(tmp_path, questions="other"))]
    routed = Pipeline.load(pipeline.index_dir, encoder=pipeline.encoder, readers=readers)
    router = routed.reader
    assert router.han is readers[0] and router.other is readers[1] and isinstance(router.fallback, HeuristicReader)
    chinese = routed.reader.policy("福建三峡海上风电国际产业园占地多少亩？")
    english = routed.reader.policy("How tall is the tower?")
    assert chinese.threshold == readers[0].settings.threshold and english.threshold == readers[1].settings.threshold
    assert chinese.threshold != english.threshold  # each reader's own calibrated scale
    assert "over m3e-small (Chinese questions)" in routed.info()["reader"]
    assert "over multilingual-e5-small (others)" in routed.info()["reader"]
    # One 250k × 384 matrix a process, not two (the e5 reader froze it in training); m3e has its own vocabulary.
    served = pipeline.encoder.model[0].auto_model.embeddings.word_embeddings.weight
    assert readers[1].model.bert.embeddings.word_embeddings.weight is served
    assert readers[0].model.bert.embeddings.word_embeddings.weight is not served


def test_the_default_reader_reads_with_the_embedding_models_word_matrix(pipeline: Pipeline) -> None:
    served = pipeline.encoder.model[0].auto_model.embeddings.word_embeddings.weight
    assert pipeline.reader.han.model.bert.embeddings.word_embeddings.weight is served


def test_a_route_no_trained_reader_takes_goes_to_the_heuristic(pipeline: Pipeline, tmp_path: Path) -> None:
    chinese_only = Pipeline.load(
        pipeline.index_dir, encoder=pipeline.encoder, reader_dir=str(_reader_copy(tmp_path, questions="chinese"))
    )
    assert isinstance(chinese_only.reader.han, ExtractiveReader) and isinstance(
        chinese_only.reader.other, HeuristicReader
    )
    assert chinese_only.trained_readers == [chinese_only.reader.han]


def test_english_questions_are_read_by_the_multilingual_reader(
    tmp_path_factory: pytest.TempPathFactory, encoder
) -> None:
    """English questions over English news (tests/data/english_news.json, written for the project;
    none of it was trained or calibrated on): docs/quality.md measured, with the shipped int8 reader,
    EM 70.0 / F1 93.8 with 8 of 8 unanswerable ones abstained (torch fp32 weights: 55.0 / 85.1),
    against the heuristic reader's EM 20.0 / F1 54.1 and 5 of 8."""
    dataset = load_dataset(DATA / "english_news.json")
    target = tmp_path_factory.mktemp("english") / "index"
    index_documents(ev.dataset_documents([dataset]), {"path": "english_news.json", "checksum": ""}, target, encoder)
    default = Pipeline.load(target, encoder=encoder, reader_inference="onnx-int8")  # the shipped engine
    trained = ev.summarize(ev.run(default, [dataset], top_k=5, progress=False))
    heuristic = ev.summarize(
        ev.run(Pipeline.load(target, encoder=encoder, reader_dir="heuristic"), [dataset], top_k=5, progress=False)
    )
    # one answer of slack under the measured 14 of 20: int8 products round differently by CPU
    assert trained["em"] >= 65 and trained["f1"] >= 85 and trained["f1"] > heuristic["f1"] + 20
    assert trained["abstention_accuracy"] >= 0.75


def test_english_dates_are_answered_whole(tmp_path_factory: pytest.TempPathFactory, encoder) -> None:
    """tests/data/english_dates.json (written for the project, never trained on): dates in every
    written form. The reader alone cut most of them (`2024` for "3 September 2024": EM 17.4);
    with the date edges (qa.text.dates) docs/quality.md measured EM 87.0 / F1 92.4. No answer
    may be a piece of a longer date in its passage unless the question asks for the year."""
    dataset = load_dataset(DATA / "english_dates.json")
    target = tmp_path_factory.mktemp("dates") / "index"
    index_documents(ev.dataset_documents([dataset]), {"path": "english_dates.json", "checksum": ""}, target, encoder)
    results = ev.run(
        Pipeline.load(target, encoder=encoder, reader_inference="onnx-int8"), [dataset], top_k=5, progress=False
    )
    summary = ev.summarize(results)
    assert summary["em"] >= 78 and summary["f1"] >= 88
    contexts = [paragraph for _, paragraphs in dataset.articles for paragraph in paragraphs]
    for result in results:
        if result.prediction and "year" not in result.question.lower():
            context = next(c for c in contexts if result.prediction in c)
            whole = [context[s:e] for s, e in date_spans(context)]
            assert not any(result.prediction in date and result.prediction != date for date in whole), result


def test_a_bad_questions_setting_is_a_one_line_error(runner, index_dir: Path, tmp_path: Path) -> None:
    from qa.cli import main

    folder = _reader_copy(tmp_path, questions="english")
    result = runner.invoke(
        main, ["eval", str(DATA / "seed_labels.jsonl"), "--index", str(index_dir), "--reader", str(folder)]
    )
    assert result.exit_code != 0 and "'questions'" in result.output and "Traceback" not in result.output


def test_held_out_seed_questions_get_the_exact_fact(shipped: Pipeline) -> None:
    summary = ev.summarize(ev.run(shipped, [load_dataset(DATA / "seed_heldout.jsonl")], top_k=5, progress=False))
    heuristic = Pipeline.load(shipped.index_dir, encoder=shipped.encoder, reader_dir="heuristic")
    before = ev.summarize(ev.run(heuristic, [load_dataset(DATA / "seed_heldout.jsonl")], top_k=5, progress=False))
    assert summary["em"] >= 88 and summary["em"] > before["em"] + 30  # 16 of 18 or more


def test_regression_set_with_the_trained_reader(shipped: Pipeline) -> None:
    summary = ev.summarize(ev.run(shipped, [load_dataset(DATA / "seed_labels.jsonl")], top_k=5, progress=False))
    assert summary["recall@5"] >= 0.95 and summary["em"] >= 91  # 22 of 24 or more (23 measured, docs/quality.md)
    assert summary["abstention_accuracy"] >= 0.9


# Counts in the unit the question names and sums of money: two from the regression set (18兆 was
# cut short of 兆瓦, 42栋 ran on into 15万平方米), the rest new phrasings of the same kinds.
@pytest.mark.parametrize(
    "question,answer",
    [
        ("东方电气风电的工人在生产多少兆瓦的海上风电机组？", "18兆瓦"),
        ("东方电气风电生产的海上风电机组是多少兆瓦的？", "18兆瓦"),
        ("襄阳佳荣项目新建多少栋标准厂房？", "42栋"),
        ("襄阳高新区此次有几个重大项目集中开工？", "7个"),
        ("襄阳佳荣项目将创造多少个直接就业岗位？", "2000个"),
        ("全球前20的跨国药企里有多少家和晶泰科技稳定合作？", "16家"),
        ("小鹏智能汽车配套零部件产业园西园有几个项目已开工？", "4个"),
        ("福建三峡海上风电国际产业园的总投资是多少钱？", "40亿元"),
    ],
)
def test_counts_and_sums_come_in_the_form_asked(shipped: Pipeline, question: str, answer: str) -> None:
    _answers_exactly(shipped, question, answer)  # offsets exact after unit completion


def _answers_exactly(pipeline: Pipeline, question: str, answer: str) -> None:
    result = pipeline.ask(question)
    assert result.answer is not None and result.answer.text == answer
    passage = next(r.passage for r in result.passages if r.passage.id == result.answer.passage_id)
    assert passage.text[result.answer.start : result.answer.end] == answer


# Span edges from the question's wording (qa.reading.trained.edges): three from the regression set (小鹏's
# supplier was cut to 江苏, 科露平 came with the question's own words, 复星凯特 ran on past 的),
# two new phrasings of the same kinds. The page's list sentence (three companies' first drugs in a
# row) is still misread by the reader itself when asked the other way round (docs/quality.md).
@pytest.mark.parametrize(
    "question,answer",
    [
        ("小鹏汽车一级供应商是哪家公司？", "江苏博俊工业科技股份有限公司"),
        ("科州制药的1类创新药叫什么？", "科露平"),
        ("阿基仑赛注射液是哪家公司的产品？", "复星凯特"),
        ("小鹏汽车的一级供应商叫什么公司？", "江苏博俊工业科技股份有限公司"),
        ("科露平是哪家公司的1类创新药？", "科州制药"),
    ],
)
def test_the_answer_starts_and_ends_where_the_question_says(shipped: Pipeline, question: str, answer: str) -> None:
    _answers_exactly(shipped, question, answer)


def test_the_heuristic_answers_where_the_trained_reader_abstains(shipped: Pipeline, tmp_path: Path, encoder) -> None:
    """reader-m3e-small's calibration chose a heuristic fallback (the default reader's chose none).
    That threshold was chosen on sentence vectors encoded apart, the heuristic reader's evidence, so
    its index is built so (pooled ones score the heuristic's sentences otherwise; docs/performance.md)."""
    assert shipped.reader.policy("特瑞普利单抗是哪家公司研发的？").fallback is None
    build_index(ROOT / "corpus", tmp_path / "encoded", encoder, sentence_vectors="encoded")
    shipped = Pipeline.load(tmp_path / "encoded", encoder=encoder, reader_dir=str(CHINESE_READER))
    question = "特瑞普利单抗是哪家公司研发的？"  # a list sentence the m3e reader reads under its threshold
    policy = shipped.reader.policy(question)
    assert policy.fallback is not None and policy.fallback > 0  # chosen by calibrate-reader, stored in reader.json
    han = shipped.reader.han
    calibrated = han.settings
    try:
        han.settings = replace(calibrated, fallback_threshold=None)
        assert shipped.ask(question).answer is None  # the trained reader alone abstains
    finally:
        han.settings = calibrated
    result = shipped.ask(question)
    assert result.answer is not None and result.answer.text == "君实生物" and result.answer.score >= policy.fallback
    row = next(r for r in result.passages if r.passage.id == result.answer.passage_id)
    assert any((h.kind, h.start, h.end) == ("answer", result.answer.start, result.answer.end) for h in row.highlights)
    assert row.passage.text[result.answer.start : result.answer.end] == "君实生物"
    for question in ("张江科学城的面积是多少平方公里？", "如何学习弹钢琴？", "2022年世界杯冠军是哪支球队？"):
        assert shipped.ask(question).answer is None  # what the page does not say stays unanswered


def test_traditional_full_width_and_digits_map_back_exactly() -> None:
    reader = load_reader(DEFAULT_READER)
    simplified = (
        "位于福建省福清市的福建三峡海上风电国际产业园总投资40亿元，占地1000亩，是我国首个全产业链海上风电产业园。"
    )
    cases = [
        ("福建三峡海上风电国际产业园占地多少亩？", simplified),
        (
            "福建三峽海上風電國際產業園佔地多少畝？",
            "位於福建省福清市的福建三峽海上風電國際產業園總投資40億元，佔地1000畝，是我國首個全產業鏈海上風電產業園。",
        ),
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

    result = runner.invoke(
        main,
        ["eval", str(DATA / "seed_labels.jsonl"), "--index", str(index_dir), "--reader", str(tmp_path / "no-reader")],
    )
    assert result.exit_code != 0 and "cannot load the reader" in result.output and "Traceback" not in result.output


def test_the_sentence_that_says_what_was_asked_outscores_a_sure_span_elsewhere(shipped: Pipeline) -> None:
    # One project's 20亿元 is a sure span; the seven projects' total, 31.9亿元, is what is asked.
    question = "襄阳高新区此次集中开工的重大项目总投资多少？"
    total_text = next(p.text for p in shipped.passages if "31.9亿元" in p.text)
    one_text = next(p.text for p in shipped.passages if "总投资20亿元" in p.text)
    vector = shipped.encoder.encode_queries([question])[0]
    total, one = shipped.relevance.score(question, vector, [total_text, one_text])
    assert at(total, total_text.index("31.9亿元")) > at(one, one_text.index("20亿元")) + 0.1


def test_the_span_is_chosen_in_the_sentence_that_says_what_was_asked(shipped: Pipeline) -> None:
    # The paragraph gives both batches' shares, in two clauses; the m3e reader alone prefers the other
    # one (so does the default reader, focus or not: one of its two held-out misses, docs/quality.md).
    shipped = Pipeline.load(shipped.index_dir, encoder=shipped.encoder, reader_dir=str(CHINESE_READER))
    question = "郑州高新区第二批链主企业占全市的比例是多少？"
    han = shipped.reader.han
    assert han.settings.sentence_focus > 0  # chosen by calibrate-reader, stored in reader.json
    focused = shipped.ask(question)
    try:
        han.settings = replace(han.settings, sentence_focus=0.0)
        unfocused = shipped.ask(question)
    finally:
        han.settings = replace(
            han.settings,
            sentence_focus=json.loads((CHINESE_READER / "reader.json").read_text(encoding="utf-8"))["settings"][
                "sentence_focus"
            ],
        )
    assert focused.answer is not None and focused.answer.text == "21.7%"
    assert unfocused.answer is None or unfocused.answer.text != "21.7%"


def test_passages_that_cannot_win_are_not_read(shipped: Pipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    """Passages whose best possible span scores under the threshold or under the best span already
    found are skipped, and the answers are exactly those of reading every passage."""
    questions = [ex.question for ex in load_dataset(DATA / "seed_labels.jsonl").examples]
    han = shipped.reader.han
    read: list[int] = []
    original = han.read_many

    def counting(qs, passages, *rest):  # wiring check: how many passages reach the model
        read.append(sum(len(p) for p in passages))
        return original(qs, passages, *rest)

    monkeypatch.setattr(han, "read_many", counting)
    pruned = shipped.ask_many(questions)
    pruned_reads = sum(read)
    read.clear()
    monkeypatch.setattr(Answerer, "_bound", lambda *args: 1.0)
    full = shipped.ask_many(questions)
    assert sum(read) == 5 * len(questions) and pruned_reads < 0.8 * sum(read)
    for a, b in zip(pruned, full):  # the same decisions, to the score
        assert (a.answer is None) == (b.answer is None), a.question
        if a.answer and b.answer:
            assert (a.answer.text, a.answer.passage_id) == (b.answer.text, b.answer.passage_id), a.question
            # fp32 windows batched with other windows differ in the last float digits (BLAS blocking)
            assert a.answer.score == pytest.approx(b.answer.score, rel=1e-5), a.question
        assert [r.passage.id for r in a.passages] == [r.passage.id for r in b.passages]


def test_an_answer_does_not_depend_on_the_questions_asked_with_it(shipped: Pipeline) -> None:
    # int8 activations are scaled per tensor; read in shared batches, a question's scores moved with
    # its batch mates (up to ~0.1 on this page, enough to change a span). Eval and the API must agree.
    questions = [ex.question for ex in load_dataset(DATA / "seed_heldout.jsonl").examples][:8]
    together = shipped.ask_many(questions)
    for question, batched in zip(questions, together):
        alone = shipped.ask(question)
        assert (alone.answer is None) == (batched.answer is None), question
        if alone.answer and batched.answer:
            assert (alone.answer.text, alone.answer.start) == (batched.answer.text, batched.answer.start), question
            # Questions embedded together differ in the last float digits (padding), nothing more.
            assert alone.answer.score == pytest.approx(batched.answer.score, abs=1e-3), question
