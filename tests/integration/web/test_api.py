"""The JSON contract of POST /api/ask, /api/status, /healthz and /readyz, through Flask's test client."""

from __future__ import annotations

import io
import json
import logging
import shutil
from pathlib import Path

import pytest

from embeddings.encoder import DEFAULT_MODEL
from qa.store.versions import resolve
from web import MAX_BODY_BYTES, create_app

QUESTIONS = [
    "福建三峡海上风电国际产业园占地多少亩？",
    "量子计算机的工作原理是什么？",
    "How tall is the solar tower?",
    "ＡＩ 新药 😀",
]


@pytest.mark.parametrize("question", QUESTIONS)
def test_ask_returns_the_documented_shape(client, question: str) -> None:
    response = client.post("/api/ask", json={"question": question, "top_k": 3})
    assert response.status_code == 200
    data = response.get_json()
    assert set(data) >= {"question", "answer", "passages", "took_ms"}
    assert data["question"] == question.strip()
    assert 1 <= len(data["passages"]) <= 3
    for p in data["passages"]:
        assert set(p) >= {"id", "doc", "title", "text", "score", "highlights"}
        for h in p["highlights"]:
            assert p["text"][h["start"] : h["end"]]  # non-empty and in range
    if data["answer"] is not None:
        assert set(data["answer"]) == {"text", "passage_id", "start", "end", "score", "page"}
        assert data["answer"]["page"] is None  # the shipped corpus is plain text: no pages
        holder = next(p for p in data["passages"] if p["id"] == data["answer"]["passage_id"])
        assert holder["text"][data["answer"]["start"] : data["answer"]["end"]] == data["answer"]["text"]


def test_answer_and_null_over_http(client) -> None:
    assert (
        client.post("/api/ask", json={"question": "福建三峡海上风电国际产业园占地多少亩？"}).get_json()["answer"][
            "text"
        ]
        == "1000亩"
    )
    assert client.post("/api/ask", json={"question": "量子计算机的工作原理是什么？"}).get_json()["answer"] is None


def test_top_k_defaults_to_five(client) -> None:
    data = client.post("/api/ask", json={"question": "新能源汽车"}).get_json()
    assert len(data["passages"]) == 5
    assert len(client.post("/api/ask", json={"question": "新能源汽车", "top_k": None}).get_json()["passages"]) == 5


@pytest.mark.parametrize(
    "kwargs,status,code",
    [
        ({"json": {"question": ""}}, 400, "empty_question"),
        ({"json": {"question": " \t\n "}}, 400, "empty_question"),
        ({"json": {"question": "长" * 513}}, 400, "question_too_long"),
        ({"json": {"question": 42}}, 400, "invalid_question"),
        ({"json": {"question": ["a"]}}, 400, "invalid_question"),
        ({"json": {}}, 400, "missing_question"),
        ({"json": ["question"]}, 400, "invalid_body"),
        ({"json": "question"}, 400, "invalid_body"),
        ({"json": {"question": "ok", "top_k": 0}}, 400, "invalid_top_k"),
        ({"json": {"question": "ok", "top_k": 21}}, 400, "invalid_top_k"),
        ({"json": {"question": "ok", "top_k": "5"}}, 400, "invalid_top_k"),
        ({"json": {"question": "ok", "top_k": 2.5}}, 400, "invalid_top_k"),
        ({"data": "{not json", "content_type": "application/json"}, 400, "invalid_json"),
        ({"data": "question=hi", "content_type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type"),
        ({"data": "hi"}, 415, "unsupported_media_type"),
        ({"data": '{"question": "' + "x" * 17000 + '"}', "content_type": "application/json"}, 413, "body_too_large"),
    ],
)
def test_bad_requests_get_json_errors(client, kwargs, status: int, code: str) -> None:
    response = client.post("/api/ask", **kwargs)
    assert response.status_code == status
    assert response.is_json
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]


@pytest.mark.parametrize("method", ["get", "put", "delete", "patch"])
def test_wrong_method_is_405_json(client, method: str) -> None:
    response = getattr(client, method)("/api/ask")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]


def test_unknown_api_path_is_404_json(client) -> None:
    response = client.get("/api/nothing")
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "not_found"


def test_health_and_readiness(client, pipeline) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json() == {"status": "ready"}
    status = client.get("/api/status")
    assert status.status_code == 200
    data = status.get_json()
    assert data["status"] == "ready" and data["model"] == DEFAULT_MODEL and data["passages"] == len(pipeline.passages)


def test_not_ready_without_an_index(tmp_path, caplog) -> None:
    app = create_app(
        {
            "TESTING": True,
            "RAGQA_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3"),
            "RAGQA_INDEX": str(tmp_path / "missing"),
        }
    )
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503
    with caplog.at_level(logging.ERROR):
        status = client.get("/api/status")
    assert status.status_code == 503 and "server log" in status.get_json()["reason"]
    assert "ragqa index" in caplog.text  # what to do, for the operator
    ask = client.post("/api/ask", json={"question": "hi"})
    assert ask.status_code == 503 and ask.get_json()["error"]["code"] == "index_unavailable"


def test_unexpected_errors_are_json_500_without_a_trace(app, monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    # wiring check: the handler, not the pipeline (web.state asks through Pipeline.begin)
    monkeypatch.setattr(app.extensions["ragqa"].source.current(), "begin", boom)
    response = app.test_client().post("/api/ask", json={"question": "x"})
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    assert "secret internals" not in response.get_data(as_text=True)


def test_security_headers_on_every_response(client) -> None:
    for response in (client.get("/"), client.get("/healthz"), client.post("/api/ask", json={"question": ""})):
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_a_lone_surrogate_is_a_400_not_a_500(client) -> None:
    response = client.post("/api/ask", data='{"question": "\\ud800福建"}', content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_question"


def test_a_malformed_manifest_leaves_the_app_up_and_not_ready(index_dir, tmp_path) -> None:
    import shutil

    copy = tmp_path / "index"
    shutil.copytree(index_dir, copy)
    (resolve(copy).path / "manifest.json").write_text('{"format_version": 1, "model": "m3e-small"}')
    client = create_app(
        {"TESTING": True, "RAGQA_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3"), "RAGQA_INDEX": str(copy)}
    ).test_client()
    assert client.get("/readyz").status_code == 503
    status = client.get("/api/status")
    assert status.status_code == 503 and status.get_json()["status"] == "unavailable"


def test_every_answer_names_the_index_version(client, pipeline) -> None:
    from qa.store.versions import pointer

    data = client.post("/api/ask", json={"question": "新能源汽车", "top_k": 1}).get_json()
    assert data["index_version"] == pipeline.version == pointer(pipeline.index_dir)
    assert client.get("/api/status").get_json()["index_version"] == pipeline.version


def test_a_full_worker_answers_429_with_retry_after_and_stays_live(pipeline, tmp_path) -> None:
    app = create_app(
        {"TESTING": True, "RAGQA_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3"), "RAGQA_QUEUE_WAIT": 0.05},
        pipeline=pipeline,
    )
    client = app.test_client()
    with app.extensions["ragqa"].admission.slot():  # another question holds the worker's only slot
        busy = client.post("/api/ask", json={"question": "新能源汽车"})
        assert busy.status_code == 429 and busy.headers["Retry-After"] == "1"
        assert busy.get_json()["error"]["code"] == "too_many_requests"
        assert client.post("/api/ask", json={"question": ""}).status_code == 400  # bad input never queues
        assert client.get("/healthz").status_code == 200 and client.get("/readyz").status_code == 200
    assert client.post("/api/ask", json={"question": "新能源汽车"}).status_code == 200  # the slot came back


def test_the_openapi_document_is_served_and_valid(client) -> None:
    from jsonschema import Draft202012Validator

    doc = client.get("/openapi.json").get_json()
    assert doc["openapi"].startswith("3.") and {"/api/ask", "/api/status", "/healthz", "/readyz"} <= set(doc["paths"])
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def _malformed_index(index_dir: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "private-index"
    shutil.copytree(index_dir, copy)
    (resolve(copy).path / "manifest.json").write_text('{"format_version": 1, "model": "m3e-small"}')
    return copy


def test_open_readyz_names_no_path_and_no_reason(pipeline, index_dir, tmp_path, monkeypatch, caplog) -> None:
    """/readyz is open even with keys set: it says ready or not, and the details need a key."""
    monkeypatch.setenv("RAGQA_API_KEYS", "k1")
    db = str(tmp_path / "feedback.sqlite3")
    ready = create_app({"TESTING": True, "RAGQA_FEEDBACK_DB": db}, pipeline=pipeline).test_client()
    response = ready.get("/readyz")
    assert response.status_code == 200 and response.get_json() == {"status": "ready"}
    assert ready.get("/api/status").status_code == 401
    status = ready.get("/api/status", headers={"Authorization": "Bearer k1"})
    assert status.status_code == 200 and status.get_json()["index"] == str(pipeline.index_dir)

    broken = _malformed_index(index_dir, tmp_path)
    with caplog.at_level(logging.ERROR):
        failed = create_app({"TESTING": True, "RAGQA_FEEDBACK_DB": db, "RAGQA_INDEX": str(broken)}).test_client()
        response = failed.get("/readyz")
        status = failed.get("/api/status", headers={"Authorization": "Bearer k1"})
    assert response.status_code == 503 and response.get_json() == {"status": "unavailable"}
    assert status.status_code == 503 and set(status.get_json()) == {"status", "reason"}
    for body in (response.get_data(as_text=True), status.get_data(as_text=True)):
        assert "private-index" not in body and "malformed" not in body and "manifest" not in body
    assert str(broken) in caplog.text and "malformed" in caplog.text  # the operator reads the log


@pytest.mark.parametrize("path", ["/api/ask", "/api/feedback"])
def test_a_chunked_body_over_the_limit_is_413(client, path: str) -> None:
    """A chunked body declares no length: it must still be refused as too large, not read cut short."""

    def chunked(raw: bytes):
        # gunicorn sets wsgi.input_terminated: it ends a chunked body itself, so werkzeug reads it (capped).
        headers = {"Transfer-Encoding": "chunked", "Content-Type": "application/json"}
        overrides = {"wsgi.input_terminated": True}
        return client.post(path, input_stream=io.BytesIO(raw), headers=headers, environ_overrides=overrides)

    big = chunked(json.dumps({"question": "x" * 17000}).encode())
    assert big.status_code == 413 and big.get_json()["error"]["code"] == "body_too_large"
    # Up to the limit, the whole body is read: 16 KB exactly is judged on what it says.
    full = json.dumps({"question": "x" * (MAX_BODY_BYTES - 16)}).encode()
    assert len(full) == MAX_BODY_BYTES
    assert chunked(full).get_json()["error"]["code"] in ("question_too_long", "invalid_question")
    small = chunked(json.dumps({"question": "福建三峡海上风电国际产业园占地多少亩？"}).encode())
    if path == "/api/ask":
        assert small.status_code == 200 and small.get_json()["answer"]["text"] == "1000亩"
    else:
        assert small.status_code == 400 and small.get_json()["error"]["code"] == "invalid_rating"


def test_search_gives_the_passages_ask_reads_without_an_answer(client) -> None:
    question = "福建三峡海上风电国际产业园占地多少亩？"
    asked = client.post("/api/ask", json={"question": question, "top_k": 3}).get_json()
    found = client.post("/api/search", json={"query": question, "top_k": 3})
    assert found.status_code == 200
    data = found.get_json()
    assert set(data) == {"query", "passages", "took_ms", "index_version", "collection"}
    assert [(p["id"], p["score"]) for p in data["passages"]] == [(p["id"], p["score"]) for p in asked["passages"]]
    top = data["passages"][0]
    assert "1000亩" in top["text"] and top["page"] is None and "boxes" not in top  # plain text: no pages
    kinds = {h["kind"] for p in data["passages"] for h in p["highlights"]}
    assert kinds == {"sentence", "term"}  # no reader ran, so no answer span
    sentence = next(h for h in top["highlights"] if h["kind"] == "sentence")
    assert "1000亩" in top["text"][sentence["start"] : sentence["end"]]
    assert data["index_version"] == asked["index_version"]
