"""FAISS and Milvus Lite answer alike, with the real model and reader: on the shipped newspaper page
(the page's labelled questions) and on a slice of a dataset's contexts (recall@5, answers).

Both indexes get the very same vectors (one encoder whose passage vectors are remembered), so what
is compared is the engines, not float noise between two embedding runs. Dense search in Milvus is
exact (FLAT, inner product) like FAISS'; BM25 is compared both ways: the version's local BM25
(the same ranking as FAISS' side, so the same answers), and Milvus' own full-text search over its
jieba analyzer (another tokenizer: no character bigrams, no Traditional-to-Simplified folding).
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from qa.evaluation import evaluate as ev
from qa.evaluation.datasets import Dataset, load_dataset
from qa.ingest.indexer import build_index, index_documents
from qa.ingest.update import update_index
from qa.pipeline import Pipeline
from qa.store.backend import BackendSettings
from tests.helpers import DATA, ROOT
from tests.integration.scale.extras import need

PAGE_QUESTIONS = [json.loads(line)["question"] for line in (DATA / "seed_labels.jsonl").read_text().splitlines()]
CMRC = ROOT.parent / "shared" / "datasets" / "cmrc2018_dev.json"
ARTICLES = 30  # a slice of the dataset's contexts: a minute to embed on two cores
QUESTIONS = 60


@pytest.fixture(scope="module")
def memo_encoder(encoder):
    """The session's encoder, remembering each passage's vector so a second build embeds nothing."""
    remembered: dict[str, np.ndarray] = {}
    twin = copy.copy(encoder)

    def encode_passages(texts: Sequence[str], progress: bool = False) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in remembered))
        remembered.update(zip(missing, encoder.encode_passages(missing, progress=progress)))
        if not texts:
            return encoder.encode_passages([])
        return np.stack([remembered[t] for t in texts])

    twin.encode_passages = encode_passages
    return twin


@pytest.fixture(scope="module")
def milvus_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    need("pymilvus", "milvus")
    need("milvus_lite", "milvus")
    return str(tmp_path_factory.mktemp("milvus") / "milvus.db")


def answers(pipeline: Pipeline, questions: list[str], filters: object = None) -> list[tuple[str | None, list[str]]]:
    return [
        (r.answer.text if r.answer else None, [p.passage.id for p in r.passages])
        for r in pipeline.ask_many(questions, filters=filters)
    ]


def test_milvus_answers_the_page_as_faiss_does(tmp_path: Path, corpus_dir: Path, memo_encoder, milvus_uri) -> None:
    build_index(corpus_dir, tmp_path / "faiss", memo_encoder)
    milvus = BackendSettings("milvus", milvus_uri)
    build_index(corpus_dir, tmp_path / "milvus", memo_encoder, backend=milvus)
    faiss_side = answers(Pipeline.load(tmp_path / "faiss", encoder=memo_encoder), PAGE_QUESTIONS)
    local_bm25 = BackendSettings("milvus", milvus_uri, milvus_bm25=False)
    same_ranking = Pipeline.load(tmp_path / "milvus", encoder=memo_encoder, backend=local_bm25)
    assert same_ranking.retriever.lexical is None
    assert answers(same_ranking, PAGE_QUESTIONS) == faiss_side  # answers and passages, exactly
    full_text = Pipeline.load(tmp_path / "milvus", encoder=memo_encoder, backend=milvus)
    assert full_text.retriever.lexical is not None  # BM25 searched in Milvus
    milvus_side = answers(full_text, PAGE_QUESTIONS)
    assert [a for a, _ in milvus_side] == [a for a, _ in faiss_side]  # the same answers


def test_milvus_recall_and_answers_on_dataset_contexts(tmp_path: Path, memo_encoder, milvus_uri) -> None:
    if not CMRC.is_file():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{CMRC} is missing")
        pytest.skip(f"{CMRC} is not here")
    full = load_dataset(CMRC)
    data = Dataset(full.name, [e for e in full.examples if (e.article or 0) < ARTICLES], full.articles[:ARTICLES])
    docs = ev.dataset_documents([data])
    source = {"path": str(CMRC), "checksum": ""}
    index_documents(docs, source, tmp_path / "faiss", memo_encoder)
    index_documents(docs, source, tmp_path / "milvus", memo_encoder, backend=BackendSettings("milvus", milvus_uri))
    runs = {
        name: ev.run(
            Pipeline.load(tmp_path / name, encoder=memo_encoder, backend=BackendSettings("milvus", milvus_uri)),
            [data],
            top_k=5,
            limit=QUESTIONS,
            progress=False,
        )
        for name in ("faiss", "milvus")
    }
    recall = {name: ev.summarize(outcomes)["recall@5"] for name, outcomes in runs.items()}
    assert abs(recall["faiss"] - recall["milvus"]) <= 0.01, recall
    assert [o.prediction for o in runs["faiss"]] == [o.prediction for o in runs["milvus"]]


def test_an_update_in_milvus_answers_as_a_full_milvus_build(
    tmp_path: Path, corpus_dir: Path, memo_encoder, milvus_uri
) -> None:
    from tests.integration.ingest.test_update import edit

    corpus = tmp_path / "corpus"
    __import__("shutil").copytree(corpus_dir, corpus)
    milvus = BackendSettings("milvus", milvus_uri)
    build_index(corpus, tmp_path / "index", memo_encoder, backend=milvus, keep=1)
    edit(corpus)
    report = update_index(corpus, tmp_path / "index", memo_encoder, backend=milvus, keep=1)
    assert report.full_reason is None and report.embedded < report.passages / 4
    build_index(corpus, tmp_path / "rebuilt", memo_encoder, backend=milvus)
    questions = [*PAGE_QUESTIONS, "How many geysers are at El Tatio?", "博物馆成人门票多少钱？"]
    # With the local BM25 the two rank alike to the last passage. Milvus' own BM25 counts its term
    # statistics per segment, and the update's rows sit in other segments (beside deleted ones)
    # than the rebuild's, so its tail ranks may differ: there, the answers are compared.
    local = BackendSettings("milvus", milvus_uri, milvus_bm25=False)
    updated, rebuilt = (Pipeline.load(tmp_path / n, encoder=memo_encoder, backend=local) for n in ("index", "rebuilt"))
    assert updated.index.records == rebuilt.index.records
    assert answers(updated, questions) == answers(rebuilt, questions)
    updated, rebuilt = (Pipeline.load(tmp_path / n, encoder=memo_encoder, backend=milvus) for n in ("index", "rebuilt"))
    assert [a for a, _ in answers(updated, questions)] == [a for a, _ in answers(rebuilt, questions)]


FILTERS = [{"type": {"in": ["jsonl", "html"]}}, {"folder": "english"}, {"type": "pdf"}]


def test_milvus_answers_filtered_questions_as_faiss_does(
    tmp_path: Path, corpus_dir: Path, memo_encoder, milvus_uri
) -> None:
    build_index(corpus_dir, tmp_path / "faiss", memo_encoder)
    build_index(corpus_dir, tmp_path / "milvus", memo_encoder, backend=BackendSettings("milvus", milvus_uri))
    faiss_side = Pipeline.load(tmp_path / "faiss", encoder=memo_encoder)
    local_bm25 = BackendSettings("milvus", milvus_uri, milvus_bm25=False)
    milvus_side = Pipeline.load(tmp_path / "milvus", encoder=memo_encoder, backend=local_bm25)
    full_text = Pipeline.load(tmp_path / "milvus", encoder=memo_encoder, backend=BackendSettings("milvus", milvus_uri))
    questions = PAGE_QUESTIONS[:6]
    for filters in FILTERS:
        wanted = faiss_side.select(filters)
        assert wanted is not None
        assert answers(milvus_side, questions, filters) == answers(faiss_side, questions, filters), filters
        allowed = {faiss_side.passages[row].id for row in wanted.rows.tolist()}
        for result in full_text.search_many(questions, 5, filters):  # Milvus' own BM25 keeps to them too
            assert {p.passage.id for p in result.passages} <= allowed
