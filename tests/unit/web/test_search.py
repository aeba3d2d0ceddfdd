"""`POST /api/search` through Flask's test client, over a real `Pipeline` built from fakes (no model).

The fakes stand where a model would: a retriever that ranks fixed passages, a relevance that
scores their sentences, and a reader that fails the test if anything asks it to read. The real
model and index answer the same route in tests/integration/web/test_api.py and
tests/system/test_server.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from qa.ingest import boxes
from qa.ingest.passages import Passage
from qa.pipeline import MAX_QUESTION_CHARS, MAX_TOP_K, Pipeline
from qa.reading.reader import ScoredSpan
from qa.retrieval.hybrid import Hit
from qa.store.catalog import Entry
from qa.text import split_sentences
from web import create_app

TEXTS = [
    "甲园区总投资40亿元。乙园区占地1000亩，在福州。",
    "丙园区在厦门。它有风电。",
    "The tower stands 252 metres tall.",
]
PASSAGES = [
    Passage("park#0", "park", "park.pdf", "园区", "", "body", TEXTS[0], 0, len(TEXTS[0]), page=3),
    Passage("park#1", "park", "park.txt", "园区", "", "body", TEXTS[1], 0, len(TEXTS[1])),
    Passage("tower#0", "tower", "tower.txt", "Tower", "", "body", TEXTS[2], 0, len(TEXTS[2])),
]
# The first passage lies on a PDF page: one box per character, along one line.
PASSAGES[0].boxes = boxes.encode([(72.0 + 10 * i, 100.0, 82.0 + 10 * i, 112.0) for i in range(len(TEXTS[0]))])
RANKED = [Hit(0, 0.9, dense=0.8), Hit(1, 0.5, dense=0.6), Hit(2, 0.1, bm25=1.0)]


class FakeEncoder:
    model_id = "fake"

    def encode_queries(self, queries: Sequence[str]) -> np.ndarray:
        return np.ones((len(queries), 4), dtype=np.float32)


class FakeRetriever:
    """Ranks every passage in the same fixed order, whatever the query."""

    def search_many(
        self, questions: Sequence[str], vectors: np.ndarray, k: int, rows: np.ndarray | None = None
    ) -> list[list[Hit]]:
        allowed = [h for h in RANKED if rows is None or h.row in rows]
        return [allowed[:k] for _ in questions]


class FakeRelevance:
    """A sentence scores by how many of the query's characters it holds."""

    def score(self, question: str, vector: np.ndarray, texts: Sequence[str]) -> list[list[ScoredSpan]]:
        return [
            [ScoredSpan(s, e, float(sum(c in text[s:e] for c in set(question)))) for s, e in split_sentences(text)]
            for text in texts
        ]


class NoReader:
    """A reader that must not be used: searching never reads."""

    name = "none"
    fallback = None

    def __init__(self) -> None:
        self.calls: list[str] = []

    def policy(self, question: str) -> Any:
        self.calls.append("policy")
        raise AssertionError("the reader was asked for its policy")

    def read_many(self, *args: Any, **kwargs: Any) -> Any:
        self.calls.append("read_many")
        raise AssertionError("the reader was asked to read")


DOCUMENTS = [
    Entry("park", "h", 2, meta={"path": "park.pdf", "folder": "", "type": "pdf", "title": "园区", "pages": 4}),
    Entry("tower", "h", 1, meta={"path": "tower.txt", "folder": "", "type": "text", "title": "Tower"}),
]


def _pipeline(reader: NoReader) -> Pipeline:
    index = SimpleNamespace(records=[p.to_dict() for p in PASSAGES], version="v1", manifest={}, documents=DOCUMENTS)
    return Pipeline(FakeEncoder(), index, FakeRetriever(), reader, FakeRelevance())  # type: ignore[arg-type]


@pytest.fixture()
def reader() -> NoReader:
    return NoReader()


def _client(reader: NoReader, tmp_path: Path, **config: Any):
    app = create_app(
        {"TESTING": True, "RAGQA_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3"), **config},
        pipeline=_pipeline(reader),
    )
    return app, app.test_client()


def test_search_ranks_and_highlights_passages_without_the_reader(reader: NoReader, tmp_path: Path) -> None:
    _, client = _client(reader, tmp_path)
    response = client.post("/api/search", json={"query": "  乙园区占地多少亩？ ", "top_k": 2})
    assert response.status_code == 200
    data = response.get_json()
    assert reader.calls == []
    # No answer, no feedback token; the collection searched (issue 32).
    assert set(data) == {"query", "passages", "took_ms", "index_version", "collection"}
    assert data["query"] == "乙园区占地多少亩？" and data["index_version"] == "v1" and data["collection"] == "default"
    assert [(p["id"], p["score"]) for p in data["passages"]] == [("park#0", 0.9), ("park#1", 0.5)]
    first = data["passages"][0]
    sentence = next(h for h in first["highlights"] if h["kind"] == "sentence")
    assert first["text"][sentence["start"] : sentence["end"]] == "乙园区占地1000亩，在福州。"
    assert {h["kind"] for p in data["passages"] for h in p["highlights"]} == {"sentence", "term"}
    assert first["page"] == 3 and first["boxes"] == [[72.0, 100.0, 82.0 + 10 * (len(TEXTS[0]) - 1), 112.0]]
    assert data["passages"][1]["page"] is None and "boxes" not in data["passages"][1]


def test_search_defaults_to_five_and_takes_up_to_the_limit(reader: NoReader, tmp_path: Path) -> None:
    _, client = _client(reader, tmp_path)
    assert len(client.post("/api/search", json={"query": "园区"}).get_json()["passages"]) == 3
    assert client.post("/api/search", json={"query": "园区", "top_k": None}).status_code == 200
    assert client.post("/api/search", json={"query": "园区", "top_k": MAX_TOP_K}).status_code == 200


@pytest.mark.parametrize(
    "kwargs,status,code",
    [
        ({"json": {"query": ""}}, 400, "empty_query"),
        ({"json": {"query": " \t\n "}}, 400, "empty_query"),
        ({"json": {"query": "长" * (MAX_QUESTION_CHARS + 1)}}, 400, "query_too_long"),
        ({"json": {"query": 42}}, 400, "invalid_query"),
        ({"json": {"question": "园区"}}, 400, "missing_query"),
        ({"json": ["query"]}, 400, "invalid_body"),
        ({"json": {"query": "ok", "top_k": 0}}, 400, "invalid_top_k"),
        ({"json": {"query": "ok", "top_k": MAX_TOP_K + 1}}, 400, "invalid_top_k"),
        ({"json": {"query": "ok", "top_k": True}}, 400, "invalid_top_k"),
        ({"data": '{"query": "\\ud800园区"}', "content_type": "application/json"}, 400, "invalid_query"),
        ({"data": "{not json", "content_type": "application/json"}, 400, "invalid_json"),
        ({"data": "query=hi", "content_type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"),
        ({"data": '{"query": "' + "x" * 17000 + '"}', "content_type": "application/json"}, 413, "body_too_large"),
    ],
)
def test_bad_searches_get_json_errors(reader: NoReader, tmp_path: Path, kwargs: dict, status: int, code: str) -> None:
    _, client = _client(reader, tmp_path)
    response = client.post("/api/search", **kwargs)
    assert response.status_code == status and response.is_json
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]


def test_search_needs_a_key_when_keys_are_set_and_the_page_token_does_not_open_it(
    reader: NoReader, tmp_path: Path
) -> None:
    from web.access import issue_page_token

    _, client = _client(reader, tmp_path, RAGQA_API_KEYS=("k1",), RAGQA_OPEN_PAGE=True)
    body = {"query": "园区"}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"X-Ragqa-Page": issue_page_token(("k1",))}):
        refused = client.post("/api/search", json=body, headers=headers)
        assert refused.status_code == 401 and refused.get_json()["error"]["code"] == "unauthorized"
        assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.post("/api/search", json=body, headers={"Authorization": "Bearer k1"}).status_code == 200


def test_a_busy_worker_answers_searches_429_and_bad_input_never_queues(reader: NoReader, tmp_path: Path) -> None:
    app, client = _client(reader, tmp_path, RAGQA_QUEUE_WAIT=0.05)
    with app.extensions["ragqa"].admission.slot():  # a question holds the worker's only slot
        busy = client.post("/api/search", json={"query": "园区"})
        assert busy.status_code == 429 and busy.headers["Retry-After"] == "1"
        assert busy.get_json()["error"]["code"] == "too_many_requests"
        assert client.post("/api/search", json={"query": ""}).status_code == 400
    assert client.post("/api/search", json={"query": "园区"}).status_code == 200  # the slot came back


def test_search_many_is_search_on_each_query(reader: NoReader) -> None:
    pipeline = _pipeline(reader)
    one = [pipeline.search(q, 2).to_dict() for q in ("乙园区", "tower")]
    many = [r.to_dict() for r in pipeline.search_many(["乙园区", "tower"], 2)]
    for a, b in zip(one, many):
        a.pop("took_ms"), b.pop("took_ms")
    assert one == many and reader.calls == []


def test_a_filtered_search_ranks_only_the_matching_documents_and_says_what_it_searched(
    reader: NoReader, tmp_path: Path
) -> None:
    _, client = _client(reader, tmp_path)
    data = client.post("/api/search", json={"query": "园区", "filters": {"type": "text"}}).get_json()
    assert [p["id"] for p in data["passages"]] == ["tower#0"]
    assert data["filtered"] == {"documents": 1, "passages": 1} and "note" not in data
    paged = client.post("/api/search", json={"query": "园区", "filters": {"pages": {"gte": 2, "lte": 10}}})
    assert [p["id"] for p in paged.get_json()["passages"]] == ["park#0", "park#1"]


def test_a_filter_matching_nothing_says_so_with_no_passages(reader: NoReader, tmp_path: Path) -> None:
    _, client = _client(reader, tmp_path)
    response = client.post("/api/search", json={"query": "园区", "filters": {"type": {"in": ["docx", "pptx"]}}})
    assert response.status_code == 200
    data = response.get_json()
    assert data["passages"] == [] and data["filtered"] == {"documents": 0, "passages": 0}
    assert data["note"] == "no document matches the filters; nothing was searched"


@pytest.mark.parametrize("route,field", [("/api/search", "query"), ("/api/ask", "question")])
@pytest.mark.parametrize(
    "filters,code",
    [
        ({"colour": "red"}, "unknown_filter_field"),
        ({"pages": {"near": 3}}, "invalid_filter_operator"),
        ({"pages": "many"}, "invalid_filter_value"),
        ("type=pdf", "invalid_filters"),
    ],
)
def test_a_bad_filter_is_a_json_400_naming_what_is_wrong(
    reader: NoReader, tmp_path: Path, route: str, field: str, filters: object, code: str
) -> None:
    _, client = _client(reader, tmp_path)
    response = client.post(route, json={field: "园区", "filters": filters})
    assert response.status_code == 400 and response.is_json
    assert response.get_json()["error"]["code"] == code
    assert reader.calls == []
