"""`ragqa serve` as a real process (gunicorn, model loaded after fork), asked over real HTTP."""

from __future__ import annotations

import json
import time
import urllib.request

from embeddings.encoder import DEFAULT_MODEL
from tests.helpers import http_json as _request


def test_real_server_answers_over_http(server: str) -> None:
    status, data = _request(
        server + "/api/ask", json.dumps({"question": "福建三峡海上风电国际产业园占地多少亩？"}).encode()
    )
    assert status == 200 and data["answer"]["text"] == "1000亩"
    # Both workers answer (several requests spread over them) and the model works after fork.
    for question in ["福建三峡海上风电国际产业园的总投资是多少钱？"] * 4:
        status, data = _request(server + "/api/ask", json.dumps({"question": question, "top_k": 2}).encode())
        assert status == 200 and data["answer"]["text"] == "40亿元"


def test_real_server_errors_are_json(server: str) -> None:
    assert _request(server + "/api/ask", b'{"question": ""}')[0] == 400
    status, data = _request(server + "/api/ask", b"x" * 20000)
    assert status == 413 and data["error"]["code"] == "body_too_large"
    status, data = _request(server + "/api/ask", b"question=hi", "application/x-www-form-urlencoded")
    assert status == 415
    assert _request(server + "/readyz") == (200, {"status": "ready"})
    status, data = _request(server + "/api/status")
    assert status == 200 and data["model"] == DEFAULT_MODEL


def test_real_server_serves_the_page(server: str) -> None:
    with urllib.request.urlopen(server + "/?lang=en", timeout=60) as response:
        html = response.read().decode()
        assert response.headers["Content-Security-Policy"]
    assert '<form id="ask-form"' in html
    with urllib.request.urlopen(server + "/static/chat.js", timeout=60) as response:
        assert b"/api/ask" in response.read()


def test_real_server_searches_without_reading(server: str) -> None:
    body = json.dumps({"query": "福建三峡海上风电国际产业园占地多少亩？", "top_k": 3}).encode()
    status, data = _request(server + "/api/search", body)
    assert status == 200 and "answer" not in data and len(data["passages"]) == 3
    assert "1000亩" in data["passages"][0]["text"]
    assert {h["kind"] for p in data["passages"] for h in p["highlights"]} <= {"sentence", "term"}
    status, data = _request(server + "/api/search", b'{"query": ""}')
    assert status == 400 and data["error"]["code"] == "empty_query"


def test_real_server_streams_the_passages_before_the_answer(server: str) -> None:
    """Through gunicorn (and no proxy buffering): the `passages` event is on the wire before `answer`."""
    body = json.dumps({"question": "福建三峡海上风电国际产业园占地多少亩？", "top_k": 3}).encode()
    request = urllib.request.Request(
        server + "/api/ask",
        data=body,
        headers={"Content-Type": "application/json", "Accept": "text/event-stream"},
    )
    started = time.perf_counter()
    arrived: list[tuple[str, float, dict]] = []
    with urllib.request.urlopen(request, timeout=120) as response:
        assert response.headers["Content-Type"].startswith("text/event-stream")
        name = None
        for raw in response:  # lines as they arrive
            line = raw.decode("utf-8").rstrip("\n")
            if line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                arrived.append((name or "message", time.perf_counter() - started, json.loads(line[6:])))
    assert [n for n, _, _ in arrived] == ["passages", "answer"]
    (_, first_at, passages), (_, answer_at, answered) = arrived
    assert first_at <= answer_at and 1 <= len(passages["passages"]) <= 3
    assert answered["answer"]["text"] == "1000亩"
    assert answered["answer"]["passage_id"] in {p["id"] for p in passages["passages"]}
