"""The OpenAI-compatible endpoint (`/v1/`) through Flask's test client, over the real model and index.

The official `openai` client against a real server is tests/system/test_openai_client.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import feedback_on
from web import create_app

ANSWERED = "福建三峡海上风电国际产业园占地多少亩？"
UNANSWERABLE = "量子计算机的工作原理是什么？"


def chat(client, *questions: str, **more: object):
    """Post a conversation whose user turns are `questions` (each answered "…" by the assistant)."""
    turns: list[dict] = []
    for question in questions:
        turns += [{"role": "user", "content": question}, {"role": "assistant", "content": "…"}]
    return client.post("/v1/chat/completions", json={"model": "ragqa", "messages": turns[:-1], **more})


def events(response) -> list[str]:
    """The data of each server-sent event, in order."""
    body = response.get_data(as_text=True)
    assert body.endswith("\n\n")
    return [block.removeprefix("data: ") for block in body.split("\n\n") if block]


def test_the_answer_is_the_message_with_numbered_sources(client) -> None:
    response = chat(client, ANSWERED)
    assert response.status_code == 200
    data = response.get_json()
    assert data["object"] == "chat.completion" and data["model"] == "ragqa"
    (choice,) = data["choices"]
    assert choice["finish_reason"] == "stop" and choice["message"]["role"] == "assistant"
    text = choice["message"]["content"]
    assert text.startswith("1000亩 [1]\n")
    extra = data["ragqa"]
    # The structured answer is /api/ask's, with its span, passages, highlights and feedback token.
    answer = extra["answer"]
    assert answer["text"] == "1000亩" and extra["feedback_token"] and extra["passages"][0]["highlights"]
    first = extra["citations"][0]
    assert first["n"] == 1 and first["passage_id"] == answer["passage_id"]
    assert first["file"] == "keji-ribao-2024-08-high-tech-parks.txt" and "1000亩" in first["snippet"]
    # Every source is numbered in the text, with its file and snippet.
    assert len(extra["citations"]) == len(extra["passages"]) == 5
    for source in extra["citations"]:
        assert f"[{source['n']}] {source['file']}: {source['snippet']}" in text


def test_no_answer_is_said_in_words_with_the_closest_passages(client) -> None:
    data = chat(client, UNANSWERABLE).get_json()
    text = data["choices"][0]["message"]["content"]
    assert data["ragqa"]["answer"] is None
    assert text.startswith("文档中没有找到这个问题的答案。\n\n最相关的段落:\n[1] ")
    english = chat(client, "What is the boiling point of liquid nitrogen on Mars?").get_json()
    assert english["choices"][0]["message"]["content"].startswith("I found no answer to this question")


def test_the_last_user_message_is_the_question(client) -> None:
    data = chat(client, "How tall is the solar tower?", ANSWERED).get_json()
    assert data["ragqa"]["question"] == ANSWERED and data["ragqa"]["answer"]["text"] == "1000亩"
    # System messages and content given as parts are read as OpenAI clients send them.
    messages = [
        {"role": "system", "content": "You answer from the documents."},
        {"role": "user", "content": [{"type": "text", "text": ANSWERED}]},
    ]
    data = client.post("/v1/chat/completions", json={"model": "ragqa", "messages": messages, "temperature": 0.2})
    assert data.get_json()["ragqa"]["answer"]["text"] == "1000亩"


def test_streaming_sends_the_same_message_in_chunks_then_done(client) -> None:
    whole = chat(client, ANSWERED).get_json()
    response = chat(client, ANSWERED, stream=True)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    data = events(response)
    assert data[-1] == "[DONE]"
    chunks = [json.loads(d) for d in data[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"} and len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text == whole["choices"][0]["message"]["content"]
    assert [c["choices"][0]["finish_reason"] for c in chunks][-2:] == [None, "stop"]
    assert chunks[-1]["ragqa"]["answer"] == whole["ragqa"]["answer"]


def test_models_list_the_default_collection(client) -> None:
    listed = client.get("/v1/models").get_json()
    assert listed == {"object": "list", "data": [{"id": "ragqa", "object": "model", "created": 0, "owned_by": "ragqa"}]}
    assert client.get("/v1/models/ragqa").get_json()["id"] == "ragqa"
    missing = client.get("/v1/models/gpt-4o")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "model_not_found"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"model": "ragqa"}, 400, "invalid_messages"),
        ({"model": "ragqa", "messages": [{"role": "system", "content": "hi"}]}, 400, "missing_question"),
        ({"model": "ragqa", "messages": [{"role": "user", "content": ""}]}, 400, "empty_question"),
        ({"model": "ragqa", "messages": [{"role": "user", "content": 5}]}, 400, "invalid_messages"),
        ({"model": "ragqa", "messages": [{"role": "user", "content": "q"}], "stream": "yes"}, 400, "invalid_stream"),
        ({"model": "gpt-4o", "messages": [{"role": "user", "content": "q"}]}, 404, "model_not_found"),
        ({"model": "ragqa/nowhere", "messages": [{"role": "user", "content": "q"}]}, 404, "model_not_found"),
        (["not", "an", "object"], 400, "invalid_body"),
    ],
)
def test_errors_have_openais_shape(client, body: object, status: int, code: str) -> None:
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]
    assert error["type"] == ("not_found_error" if status == 404 else "invalid_request_error")


def test_other_errors_under_v1_have_openais_shape_too(client) -> None:
    response = client.post("/v1/chat/completions", data="{}", content_type="text/plain")
    assert response.status_code == 415 and response.get_json()["error"]["type"] == "invalid_request_error"
    response = client.get("/v1/embeddings")
    assert response.status_code == 404 and response.get_json()["error"]["type"] == "not_found_error"
    # /api keeps its own shape.
    assert "type" not in client.post("/api/ask", json={}).get_json()["error"]


def test_bearer_keys_guard_v1_as_they_guard_api(pipeline, tmp_path: Path) -> None:
    config = {"TESTING": True, "RAGQA_FEEDBACK_DB": str(tmp_path / "f.sqlite3"), "RAGQA_API_KEYS": ("sesame",)}
    client = create_app(config, pipeline=pipeline).test_client()
    refused = chat(client, ANSWERED)
    assert refused.status_code == 401 and refused.get_json()["error"]["type"] == "authentication_error"
    assert client.get("/v1/models").status_code == 401
    answered = client.post(
        "/v1/chat/completions",
        json={"model": "ragqa", "messages": [{"role": "user", "content": ANSWERED}]},
        headers={"Authorization": "Bearer sesame"},
    )
    assert answered.status_code == 200 and answered.get_json()["ragqa"]["answer"]["text"] == "1000亩"


def test_feedback_on_an_answer_given_through_v1_is_stored(client) -> None:
    extra = chat(client, ANSWERED).get_json()["ragqa"]
    body = feedback_on(extra)
    assert client.post("/api/feedback", json=body).status_code == 201


def test_each_collection_is_a_model_for_the_keys_that_may_read_it(pipeline, tmp_path: Path) -> None:
    config = {
        "TESTING": True,
        "RAGQA_FEEDBACK_DB": str(tmp_path / "f.sqlite3"),
        "RAGQA_DATA": str(tmp_path / "collections"),
        "RAGQA_API_KEYS": ("writer", "reader read default"),
    }
    client = create_app(config, pipeline=pipeline).test_client()
    writer, reader = {"Authorization": "Bearer writer"}, {"Authorization": "Bearer reader"}
    assert client.post("/api/collections", json={"name": "reports"}, headers=writer).status_code == 201
    listed = client.get("/v1/models", headers=writer).get_json()["data"]
    assert [m["id"] for m in listed] == ["ragqa", "ragqa/reports"]
    assert [m["id"] for m in client.get("/v1/models", headers=reader).get_json()["data"]] == ["ragqa"]
    body = {"model": "ragqa/reports", "messages": [{"role": "user", "content": ANSWERED}]}
    # Nothing indexed in it yet: said as on /api, in OpenAI's shape.
    empty = client.post("/v1/chat/completions", json=body, headers=writer)
    assert empty.status_code == 409 and empty.get_json()["error"]["code"] == "empty"
    # A key that may not read it is told it does not exist, as for a collection that does not.
    hidden = client.post("/v1/chat/completions", json=body, headers=reader)
    assert hidden.status_code == 404 and hidden.get_json()["error"]["code"] == "model_not_found"
    assert client.get("/v1/models/ragqa/reports", headers=reader).status_code == 404
