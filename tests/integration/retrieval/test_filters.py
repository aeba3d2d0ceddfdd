"""Filters on a real index: the real model over documents of six kinds, folders and dates.

The PDF and the Word file are from the shared test documents (/work/shared/documents), copied into
the test's own corpus folder; the rest is written here. The dense side's filtered top 10 is
compared with an exact search over the filtered passages' stored vectors (recall@10 must be 1).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from qa.ingest.indexer import build_index
from qa.pipeline import NOTHING_MATCHES, Pipeline

SHARED = Path("/work/shared/documents")
PDF, DOCX = SHARED / "en_nics_background_checks_2015-11.pdf", SHARED / "en_handbook-1p.docx"
DAY = 86_400
JAN_2023, JAN_2024, JAN_2025 = 1_672_531_200, 1_704_067_200, 1_735_689_600
TEXTS = {
    "notes/atacama.txt": (
        "The Cerro Dominador solar plant in northern Chile began commercial operation in June 2021. "
        "Its tower stands 252 metres tall and stores heat in molten salt for 17.5 hours.",
        JAN_2023 + 40 * DAY,
    ),
    "notes/qinghai.md": (
        "# 青海湖\n\n青海湖是中国最大的内陆咸水湖，面积约4400平方千米。每年春天斑头雁在鸟岛繁殖。",
        JAN_2024 + 100 * DAY,
    ),
    "parks.html": (
        "<html><head><title>Industrial parks</title></head><body><h1>Parks</h1><p>The Fujian offshore "
        "wind park cost 4 billion yuan and covers 1000 mu. The Zhangjiang science city added 1200 "
        "firms last year.</p></body></html>",
        JAN_2025 + 10 * DAY,
    ),
}
RECORDS = [
    {"id": "faq-1", "title": "Opening hours", "text": "The museum opens at 9:30 and closes at 17:00.", "lang": "en"},
    {"id": "faq-2", "title": "门票", "text": "博物馆成人门票为60元，学生凭学生证半价。", "lang": "zh", "year": 2024},
    {"id": "faq-3", "title": "Parking", "text": "Visitors park free for three hours.", "lang": "en", "year": 2022},
]
QUESTIONS = [
    "When did the solar plant begin operation?",
    "How many background checks were run?",
    "What does the handbook say about leave?",
    "青海湖的面积是多少？",
    "How much did the wind park cost?",
    "When does the museum open?",
    "博物馆门票多少钱？",
    "Where can visitors park?",
]


@pytest.fixture(scope="module")
def filtered(tmp_path_factory: pytest.TempPathFactory, encoder) -> Pipeline:
    if not (PDF.is_file() and DOCX.is_file()):
        pytest.skip(f"the shared test documents are not at {SHARED}")
    corpus = tmp_path_factory.mktemp("filtered") / "corpus"
    for rel, (text, mtime) in TEXTS.items():
        (corpus / rel).parent.mkdir(parents=True, exist_ok=True)
        (corpus / rel).write_text(text, encoding="utf-8")
        os.utime(corpus / rel, (mtime, mtime))
    (corpus / "faq.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in RECORDS), encoding="utf-8")
    os.utime(corpus / "faq.jsonl", (JAN_2024, JAN_2024))
    (corpus / "reports").mkdir()
    for source, mtime in ((PDF, JAN_2023 + 5 * DAY), (DOCX, JAN_2024 + 200 * DAY)):
        shutil.copy(source, corpus / "reports" / source.name)
        os.utime(corpus / "reports" / source.name, (mtime, mtime))
    root = corpus.parent / "index"
    build_index(corpus, root, encoder)
    return Pipeline.load(root, encoder=encoder, reader_dir="heuristic")


def documents_of(pipeline: Pipeline, query: str, filters: object, top_k: int = 20) -> set[str]:
    result = pipeline.search(query, top_k, filters)
    return {r.passage.path for r in result.passages}


def test_filtered_results_hold_only_matching_documents(filtered: Pipeline) -> None:
    everything = set().union(*(documents_of(filtered, q, None) for q in QUESTIONS))
    assert {"notes/atacama.txt", "parks.html", "faq.jsonl", "reports/" + PDF.name, "reports/" + DOCX.name} <= everything
    cases = {
        json.dumps({"type": "pdf"}): {"reports/" + PDF.name},
        json.dumps({"type": {"in": ["docx", "markdown"]}}): {"reports/" + DOCX.name, "notes/qinghai.md"},
        json.dumps({"folder": "notes"}): {"notes/atacama.txt", "notes/qinghai.md"},
        json.dumps({"modified": {"gte": "2024-01-01", "lt": "2025-01-01"}}): {
            "notes/qinghai.md",
            "faq.jsonl",
            "reports/" + DOCX.name,
        },
        json.dumps({"pages": {"gte": 1}}): {"reports/" + PDF.name},
    }
    for filters, allowed in cases.items():
        found = set().union(*(documents_of(filtered, q, json.loads(filters)) for q in QUESTIONS))
        assert found == allowed, filters
    faq = filtered.search("museum", 10, {"lang": "en", "year": {"lte": 2023}})
    assert {r.passage.doc for r in faq.passages} == {"faq-3"}
    assert faq.filtered is not None and faq.filtered.documents == 1


def test_a_filter_that_matches_nothing_says_so(filtered: Pipeline) -> None:
    result = filtered.ask("When did the solar plant begin operation?", 5, {"type": "pptx"})
    data = result.to_dict()
    assert data["answer"] is None and data["passages"] == []
    assert data["filtered"] == {"documents": 0, "passages": 0} and data["note"] == NOTHING_MATCHES
    answered = filtered.ask("When did the solar plant begin operation?", 5, {"folder": "notes"}).to_dict()
    assert answered["answer"] is not None and "June 2021" in answered["answer"]["text"]
    assert "note" not in answered


@pytest.mark.parametrize(
    "filters",
    [{"type": {"in": ["pdf", "docx"]}}, {"folder": "notes"}, {"modified": {"lt": "2024-06-01"}}, {"lang": "en"}],
)
def test_filtered_recall_at_10_equals_an_exact_filtered_search(filtered: Pipeline, filters: object) -> None:
    selection = filtered.select(filters)
    assert selection is not None and len(selection.rows)
    vectors = filtered.index.exact_vectors()
    assert vectors is not None
    queries = filtered.encoder.encode_queries(QUESTIONS)
    _, found = filtered.index.dense.search(queries, 10, selection.rows)
    products = queries @ vectors[selection.rows].T
    for q, row in enumerate(products):
        exact = set(selection.rows[np.argsort(-row)[:10]].tolist())
        got = {r for r in found[q].tolist() if r >= 0}
        assert len(got & exact) / len(exact) == 1.0
    # The fused ranking keeps to the same candidates.
    for hits in filtered.retriever.search_many(QUESTIONS, queries, 10, selection.rows):
        assert {h.row for h in hits} <= set(selection.rows.tolist())
