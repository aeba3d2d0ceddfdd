"""The JSON contract of POST /api/ask, /healthz and /readyz, through Flask's test client."""

from __future__ import annotations

import pytest

from embeddings.encoder import DEFAULT_MODEL
from qa.store.versions import resolve
from web import create_app

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
        assert set(data["answer"]) == {"text", "passage_id", "start", "end", "score"}
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
    assert ready.status_code == 200
    data = ready.get_json()
    assert data["status"] == "ready" and data["model"] == DEFAULT_MODEL and data["passages"] == len(pipeline.passages)


def test_not_ready_without_an_index(tmp_path) -> None:
    app = create_app(
        {
            "TESTING": True,
            "RAGQA_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3"),
            "RAGQA_INDEX": str(tmp_path / "missing"),
        }
    )
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503 and "ragqa index" in ready.get_json()["reason"]
    ask = client.post("/api/ask", json={"question": "hi"})
    assert ask.status_code == 503 and ask.get_json()["error"]["code"] == "index_unavailable"


def test_unexpected_errors_are_json_500_without_a_trace(app, monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(
        app.extensions["ragqa"].source.current(), "ask", boom
    )  # wiring check: the handler, not the pipeline
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
    ready = client.get("/readyz")
    assert ready.status_code == 503 and "malformed" in ready.get_json()["reason"]


def test_every_answer_names_the_index_version(client, pipeline) -> None:
    from qa.store.versions import pointer

    data = client.post("/api/ask", json={"question": "新能源汽车", "top_k": 1}).get_json()
    assert data["index_version"] == pipeline.version == pointer(pipeline.index_dir)
    assert client.get("/readyz").get_json()["index_version"] == pipeline.version


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
    assert doc["openapi"].startswith("3.") and {"/api/ask", "/healthz", "/readyz"} <= set(doc["paths"])
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
