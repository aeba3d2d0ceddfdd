"""The default reader on ONNX Runtime against torch, the reference: the same answers in fp32, and in
int8 (per-channel weights) the held-out page questions still answered as the docs record."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.evaluation import evaluate as ev
from qa.evaluation.datasets import load_dataset
from qa.ingest.indexer import build_index
from qa.pipeline import Pipeline
from qa.reading.trained.reader import ExtractiveReader
from tests.helpers import DATA, ROOT


@pytest.fixture(scope="module")
def page_index(tmp_path_factory: pytest.TempPathFactory, encoder) -> Path:
    target = tmp_path_factory.mktemp("page") / "index"
    build_index(ROOT / "corpus", target, encoder)
    return target


def _answers(pipeline: Pipeline, questions: list[str]) -> list[tuple[str, str, int, int] | None]:
    found = []
    for result in pipeline.ask_many(questions, 5):
        a = result.answer
        found.append(None if a is None else (a.text, a.passage_id, a.start, a.end))
    return found


def test_onnx_fp32_reads_exactly_what_torch_reads(page_index: Path, encoder) -> None:
    questions = [ex.question for ex in load_dataset(DATA / "seed_heldout.jsonl").examples]
    torch_reader = Pipeline.load(page_index, encoder=encoder)
    onnx_reader = Pipeline.load(page_index, encoder=encoder, reader_inference="onnx")
    reader = onnx_reader.trained_readers[0]
    assert isinstance(reader, ExtractiveReader) and reader.inference == "onnx" and reader.model is None
    assert onnx_reader.info()["reader"].startswith("ExtractiveReader over multilingual-e5-small, onnx")
    assert _answers(onnx_reader, questions) == _answers(torch_reader, questions)


def test_onnx_int8_keeps_the_held_out_page_answers(page_index: Path, encoder) -> None:
    dataset = load_dataset(DATA / "seed_heldout.jsonl")
    torch_em = ev.summarize(ev.run(Pipeline.load(page_index, encoder=encoder), [dataset], top_k=5, progress=False))
    int8 = Pipeline.load(page_index, encoder=encoder, reader_inference="onnx-int8")
    int8_em = ev.summarize(ev.run(int8, [dataset], top_k=5, progress=False))
    # One question in 18 is 5.6 points: int8 may lose at most one of torch's exact answers.
    assert int8_em["em"] >= torch_em["em"] - 6 and int8_em["em"] >= 83


def test_an_unknown_reader_engine_is_a_clear_error(page_index: Path, encoder) -> None:
    from qa.errors import BadRequest

    with pytest.raises(BadRequest, match="unknown reader inference 'tensorrt'"):
        Pipeline.load(page_index, encoder=encoder, reader_inference="tensorrt")
