"""The trained-reader path: windows and offsets, span choice, a real (tiny) training run, resume, loading.

The training run uses the real m3e-small over a handful of questions it must learn by heart: it
proves the code path (labels, loss, saving, loading, offsets), not reading skill; that is measured
with `ragqa eval` on held-out data (docs/quality.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from qa.cli import main
from qa.evaluation.datasets import fold, load_dataset
from qa.pipeline import Pipeline
from qa.reading.trained.loading import load_reader
from qa.reading.trained.settings import WEIGHTS
from qa.reading.trained.training import _pool, features, load_examples
from qa.reading.trained.windows import MAX_QUESTION_TOKENS, _cut_question, make_windows

FACTS = [
    ("福建三峡海上风电国际产业园位于福清市，占地1000亩，是全球首个海上风电产业园。", "产业园占地多少亩？", "1000亩"),
    ("郑州高新区第一批复审通过的链主企业有19家，覆盖电子信息等产业。", "第一批复审通过了几家链主企业？", "19家"),
    ("和黄医药的吡咯替尼胶囊是首个国产结直肠癌抗肿瘤新药。", "吡咯替尼胶囊是哪家公司的？", "和黄医药"),
    ("The Cerro Dominador tower stands 252 metres tall in the Atacama desert.", "How tall is the tower?", "252 metres"),
    ("臺北市是中華民國的首都，位於臺灣北部的臺北盆地。", "臺北市位於哪個盆地？", "臺北盆地"),
    ("ＦＵＬＬ寬度的數字１２３４５出現在這句話的中間位置。", "哪個數字出現在中間？", "１２３４５"),
]


@pytest.fixture(scope="module")
def tokenizer(m3e_encoder):
    return m3e_encoder.model.tokenizer


@pytest.fixture(scope="module", params=["m3e-small", "multilingual-e5-small"])
def any_tokenizer(request):
    """Both bases a reader can be trained over; e5's own offset mapping drifts (qa.text.token_offsets)."""
    encoder = request.getfixturevalue("m3e_encoder" if request.param == "m3e-small" else "encoder")
    return encoder.model.tokenizer


@pytest.fixture(scope="module")
def facts_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("train") / "facts.json"
    paragraphs = [
        {"context": c, "qas": [{"id": str(n), "question": q, "answers": [{"text": a, "answer_start": c.index(a)}]}]}
        for n, (c, q, a) in enumerate(FACTS)
    ]
    path.write_text(
        json.dumps({"data": [{"title": "facts", "paragraphs": paragraphs}]}, ensure_ascii=False), encoding="utf-8"
    )
    return path


def test_window_offsets_are_exact_code_points(any_tokenizer) -> None:
    tokenizer = any_tokenizer
    contexts = [c for c, _, _ in FACTS]
    windows = make_windows(tokenizer, [q for _, q, _ in FACTS], contexts, max_length=32, stride=8)
    assert len(windows) > len(FACTS)  # long contexts overflow into several windows
    normalize = tokenizer.backend_tokenizer.normalizer.normalize_str
    for w in range(len(windows)):
        context = contexts[windows.pair[w]]
        spans = [s for s in windows.offsets[w] if s is not None]
        assert spans and all(0 <= a < b <= len(context) for a, b in spans)
        assert spans == sorted(spans)
        # Each token's span holds that token's own characters (臺 and ｆｕｌｌ as the tokenizer folds them).
        for token_id, span in zip(windows.input_ids[w], windows.offsets[w]):
            if span is not None and token_id != tokenizer.unk_token_id:
                piece = tokenizer.convert_ids_to_tokens(int(token_id)).replace("▁", "").removeprefix("##")
                assert "".join(normalize(context[span[0] : span[1]]).split()) == piece, (context, span, piece)


def test_a_long_question_is_cut_after_its_64th_token(any_tokenizer) -> None:
    tokenizer = any_tokenizer
    question = "".join(q for _, q, _ in FACTS) * 3  # Chinese, full-width and English tokens, > 64 of them
    cut = _cut_question(tokenizer, question)
    # A prefix holding exactly the first 64 tokens whole: not a character short, as the drifting
    # multilingual-e5-small offsets would make it, and not a character long.
    assert question.startswith(cut)
    ids = tokenizer(question, add_special_tokens=False)["input_ids"][:MAX_QUESTION_TOKENS]
    assert tokenizer(cut, add_special_tokens=False)["input_ids"] == ids
    assert tokenizer(cut[:-1], add_special_tokens=False)["input_ids"] != ids


def test_offsets_the_tokenizer_gets_right_are_kept(tokenizer) -> None:
    contexts = [c for c, _, _ in FACTS]
    windows = make_windows(tokenizer, [q for _, q, _ in FACTS], contexts, max_length=48, stride=16)
    enc = tokenizer(
        [q for _, q, _ in FACTS],
        contexts,
        truncation="only_second",
        max_length=48,
        stride=16,
        return_overflowing_tokens=True,
        return_offsets_mapping=True,
    )
    for w in range(len(windows)):
        sequence = enc.sequence_ids(w)
        own = [
            tuple(span) if sequence[t] == 1 and span[1] > span[0] else None
            for t, span in enumerate(enc["offset_mapping"][w])
        ]
        assert windows.offsets[w][: len(own)] == own


def test_answer_labels_point_at_the_answer(any_tokenizer, facts_file: Path) -> None:
    tokenizer = any_tokenizer
    examples = load_examples([str(facts_file)])
    assert [e.context[e.start : e.end] for e in examples][:3] == ["1000亩", "19家", "和黄医药"]
    assert examples[4].context[examples[4].start : examples[4].end] == "台北盆地"  # folded to Simplified, same offsets
    windows, starts, ends = features(tokenizer, examples, max_length=48, stride=16)
    labelled = set()
    for w in range(len(windows)):
        example = examples[windows.pair[w]]
        if starts[w]:
            a, b = windows.offsets[w][starts[w]][0], windows.offsets[w][ends[w]][1]
            assert example.context[a:b].replace(" ", "") == example.context[example.start : example.end].replace(
                " ", ""
            )
            labelled.add(windows.pair[w])
        else:
            assert ends[w] == 0
    assert labelled == set(range(len(examples)))  # each answer is whole in some window


def test_cross_negatives_pair_a_question_with_another_paragraph(tokenizer, tmp_path: Path) -> None:
    article = [
        ("产业园位于福清市，占地1000亩。", "产业园占地多少亩？", "1000亩"),
        ("风电产业园二期工程明年开工，规划总投资50亿元。", "二期工程规划总投资多少？", "50亿元"),
        ("产业园一期占地1000亩，已经建成投产。", "一期建成了吗？", "已经建成投产"),
    ]
    paragraphs = [
        {"context": c, "qas": [{"id": str(n), "question": q, "answers": [{"text": a, "answer_start": c.index(a)}]}]}
        for n, (c, q, a) in enumerate(article)
    ]
    path = tmp_path / "article.json"
    path.write_text(
        json.dumps({"data": [{"title": "t", "paragraphs": paragraphs}]}, ensure_ascii=False), encoding="utf-8"
    )
    assert all(e.start >= 0 for e in load_examples([str(path)]))
    examples = load_examples([str(path)], cross_negatives=1.0, seed=3)
    negatives = [e for e in examples if e.start < 0]
    assert len(examples) == 6 and len(negatives) == 3 and all(e.end == -1 for e in negatives)
    for e in negatives:
        asked = next(a for _, q, a in article if q == e.question)
        assert asked not in e.context  # never a paragraph that holds the answer: 1000亩 is in two of them
    assert next(e for e in negatives if e.question == "产业园占地多少亩？").context == article[1][0]
    windows, starts, ends = features(tokenizer, examples, max_length=32, stride=8)
    cross = np.array([examples[p].start < 0 for p in windows.pair])
    assert not starts[cross].any() and not ends[cross].any()  # labelled [CLS]
    pool = _pool(starts, 0.0, 0, cross, np.asarray(windows.pair))
    kept = [windows.pair[w] for w in pool if cross[w]]
    assert sorted(kept) == sorted({windows.pair[w] for w in np.flatnonzero(cross)})  # one window per paired question
    assert set(np.flatnonzero(starts > 0)) <= set(pool.tolist())


def test_a_data_fold_trains_on_the_articles_eval_leaves_for_it(tmp_path: Path) -> None:
    articles = [
        {
            "title": f"a{n}",
            "paragraphs": [
                {
                    "context": c,
                    "qas": [{"id": str(n), "question": q, "answers": [{"text": a, "answer_start": c.index(a)}]}],
                }
            ],
        }
        for n, (c, q, a) in enumerate(FACTS[:4])
    ]
    path = tmp_path / "folds.json"
    path.write_text(json.dumps({"data": articles}, ensure_ascii=False), encoding="utf-8")
    kept = [e.question for e in load_examples([str(path)], folds={str(path): "2/2"})]
    evaluated = {e.question for e in fold(load_dataset(path), 2, 2).examples}
    assert kept == [FACTS[1][1], FACTS[3][1]] and set(kept) == evaluated  # articles 2 and 4, as `eval --fold 2/2`
    assert len(load_examples([str(path)], folds={str(path): "1/4"})) == 1
    with pytest.raises(ValueError, match="does not exist"):
        load_examples([str(path)], folds={str(path): "5/4"})


@pytest.mark.parametrize(
    "fold_args,message",
    [
        (["elsewhere.json", "1/2"], "is not one of the --data files"),
        (["DATA", "3/2"], "does not exist"),
        (["DATA", "half"], "is not a fold K/N"),
    ],
)
def test_a_bad_data_fold_is_one_line(
    runner, facts_file: Path, tmp_path: Path, fold_args: list[str], message: str
) -> None:
    fold_args = [str(facts_file) if a == "DATA" else a for a in fold_args]
    result = runner.invoke(
        main, ["train-reader", "--data", str(facts_file), "--out", str(tmp_path / "out"), "--data-fold", *fold_args]
    )
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_training_on_a_gpu_that_is_not_there_is_one_line(runner, facts_file: Path, tmp_path: Path) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    result = runner.invoke(
        main, ["train-reader", "--data", str(facts_file), "--out", str(tmp_path / "out"), "--device", "cuda"]
    )
    assert result.exit_code == 1 and "no CUDA GPU" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_train_resume_load_and_read(facts_file: Path, tmp_path: Path, runner, index_dir: Path) -> None:
    out = tmp_path / "reader"
    args = [
        "train-reader",
        "--data",
        str(facts_file),
        "--out",
        str(out),
        "--max-length",
        "64",
        "--stride",
        "16",
        "--epochs",
        "40",
        "--batch-size",
        "4",
        "--learning-rate",
        "3e-4",
        "--checkpoint-every",
        "20",
    ]
    first = runner.invoke(main, args + ["--max-steps", "20"])
    assert first.exit_code == 0, first.output
    assert "stopped at step 20" in first.output and not (out / WEIGHTS).exists()
    exported = runner.invoke(main, args + ["--export-checkpoint"])
    assert exported.exit_code == 0 and "step 20" in exported.output, exported.output
    meta = json.loads((out / "reader.json").read_text(encoding="utf-8"))
    assert meta["run"] == {**meta["run"], "steps": 20, "finished": False, "device": "cpu"}
    assert meta["settings"]["quantize"] is False
    # How the reader will read is no part of the run: the same checkpoint, written to read int8.
    quantized = runner.invoke(main, args + ["--export-checkpoint", "--quantize"])
    assert quantized.exit_code == 0, quantized.output
    meta = json.loads((out / "reader.json").read_text(encoding="utf-8"))
    assert meta["settings"]["quantize"] is True and meta["training"]["quantize"] is True
    assert load_reader(out).read_many(["产业园占地多少亩？"], [[FACTS[0][0]]])[0][0].score >= 0
    second = runner.invoke(main, args + ["--device", "cpu"])  # where the steps run is no part of the run either
    assert second.exit_code == 0, second.output
    assert "resumed at step 20" in second.output and (out / WEIGHTS).exists()
    run = json.loads((out / "reader.json").read_text(encoding="utf-8"))["run"]
    assert run["finished"] is True and run["device"] == "cpu"
    assert (out / WEIGHTS).stat().st_size < 50 * 2**20  # the frozen word embeddings are not shipped

    reader = load_reader(out)
    readings = reader.read_many([q for _, q, _ in FACTS], [[c] for c, _, _ in FACTS])
    found = [c[r[0].answer[0] : r[0].answer[1]] if r[0].answer else None for (c, _, _), r in zip(FACTS, readings)]
    assert sum(f == a for f, (_, _, a) in zip(found, FACTS)) >= 5, found  # learnt by heart, offsets exact

    # A warm start carries the trained weights: at a learning rate too small to learn anything, still read by heart.
    warm_args = [
        "train-reader",
        "--data",
        str(facts_file),
        "--out",
        str(tmp_path / "warm"),
        "--max-length",
        "64",
        "--stride",
        "16",
        "--epochs",
        "1",
        "--batch-size",
        "4",
        "--learning-rate",
        "1e-7",
        "--init",
        str(out),
    ]
    warm = runner.invoke(main, warm_args)
    assert warm.exit_code == 0, warm.output
    rereading = load_reader(tmp_path / "warm").read_many([q for _, q, _ in FACTS], [[c] for c, _, _ in FACTS])
    assert [r[0].answer for r in rereading] == [r[0].answer for r in readings]
    assert json.loads((tmp_path / "warm" / "reader.json").read_text(encoding="utf-8"))["training"]["init"] == str(out)
    other_base = runner.invoke(
        main, warm_args[:-2] + ["--init", str(out), "--base", "multilingual-e5-small", "--out", str(tmp_path / "other")]
    )
    assert other_base.exit_code == 1 and "trained over 'm3e-small'" in other_base.output, other_base.output

    changed = runner.invoke(main, [a if a != "4" else "2" for a in args])  # batch size 2: not the checkpoint's run
    assert changed.exit_code == 1 and "other settings" in changed.output and "Traceback" not in changed.output

    pipeline = Pipeline.load(index_dir, reader_dir=out)
    result = pipeline.ask("福建三峡海上风电国际产业园占地多少亩？")
    for row in result.passages:
        for h in row.highlights:
            assert 0 <= h.start < h.end <= len(row.passage.text)
    if result.answer:
        passage = next(r.passage for r in result.passages if r.passage.id == result.answer.passage_id)
        assert passage.text[result.answer.start : result.answer.end] == result.answer.text


@pytest.mark.parametrize(
    "content,base,message",
    [
        ("{not json", "m3e-small", "cannot train"),
        ('{"data": [{"paragraphs": [{"qas": []}]}]}', "m3e-small", "cannot train"),
        ('{"data": []}', "/no/such/model", "not a sentence-transformers model folder"),
        (
            '{"data": [{"paragraphs": [{"context": "x", "qas": [{"question": "q", "answers": []}]}]}]}',
            "m3e-small",
            "no answerable question",
        ),
    ],
)
def test_bad_training_input_is_one_line(runner, tmp_path: Path, content: str, base: str, message: str) -> None:
    data = tmp_path / "bad.json"
    data.write_text(content, encoding="utf-8")
    (tmp_path / "no").mkdir()
    result = runner.invoke(
        main,
        [
            "train-reader",
            "--data",
            str(data),
            "--out",
            str(tmp_path / "out"),
            "--base",
            base.replace("/no/such/model", str(tmp_path / "no")),
        ],
    )
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
