"""The service open to hostile clients (issue 21): cross-site posts, forged feedback, floods,
the page's own admission, access keys, malformed requests and what error messages reveal."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from tests.helpers import feedback_on
from web import access, create_app

ANSWERED = "福建三峡海上风电国际产业园占地多少亩？"
CROSS_SITE = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}


def _served(client, question: str = ANSWERED, headers: dict | None = None) -> dict:
    """What the page sends back after showing this answer: its fields and the server's token."""
    return feedback_on(client.post("/api/ask", json={"question": question}, headers=headers or {}).get_json())


def _served_again(app, body: dict) -> dict:
    """The same answer served once more: a new token, so a new record rather than a new verdict on the old one."""
    token = (
        app.extensions["ragqa"].signer().sign(body["question"], body["answer"], body["passage_id"], body["passages"])
    )
    return {**body, "token": token}


def _rows(app) -> int:
    db = Path(app.config["RAGQA_FEEDBACK_DB"])
    with sqlite3.connect(db) as con:
        return con.execute("SELECT COUNT(*) FROM feedback").fetchone()[0]


def _app(pipeline, tmp_path: Path, **config):
    return create_app({"TESTING": True, "RAGQA_FEEDBACK_DB": str(tmp_path / "fb.sqlite3"), **config}, pipeline=pipeline)


@pytest.mark.parametrize(
    "headers", [{"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}, {"Origin": "https://evil.example"}]
)
def test_a_cross_site_form_post_of_feedback_is_refused_and_stores_nothing(client, app, headers: dict) -> None:
    form = _served(client)
    refused = client.post("/feedback?lang=en", data=form, headers=headers)
    assert refused.status_code == 403 and "another site" in refused.get_data(as_text=True)
    assert client.post("/api/feedback", json=form, headers=headers).get_json()["error"]["code"] == "cross_site_request"
    assert _rows(app) == 0
    same = {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"}
    assert client.post("/feedback", data=form, headers=same).status_code == 303 and _rows(app) == 1


def test_a_cross_site_question_post_and_an_embedded_question_are_refused(client) -> None:
    assert client.post("/", data={"question": ANSWERED}, headers={"Origin": "http://evil.example"}).status_code == 403
    image = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"}
    assert client.get("/?q=" + ANSWERED, headers=image).status_code == 403
    assert client.get("/?feedback=saved&rated=1.x", headers=image).status_code == 403
    # Following a link from elsewhere still opens the answer.
    assert '<p class="answer-text">1000亩</p>' in client.get("/?q=" + ANSWERED, headers=CROSS_SITE).get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    "change", [{"answer": "1亩"}, {"token": None}, {"passages": None}, {"rating": "up", "answer": None}]
)
def test_a_forged_thumbs_up_for_an_answer_not_served_is_refused(client, app, change: dict) -> None:
    body = _served(client)
    if change.get("passages", 0) is None:
        change = {"passages": list(reversed(body["passages"]))}
    if "answer" in change and change["answer"] is None:
        change = {"answer": None, "passage_id": None}
    forged = {**body, **change}
    response = client.post("/api/feedback", json=forged)
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "not_served"
    assert client.post("/feedback", data={k: v for k, v in forged.items() if v is not None}).status_code == 403
    assert _rows(app) == 0
    assert client.post("/api/feedback", json=body).status_code == 201


def test_more_feedback_than_the_limit_from_one_client_is_429(pipeline, tmp_path: Path) -> None:
    app = _app(pipeline, tmp_path, RAGQA_FEEDBACK_LIMIT=3, RAGQA_FEEDBACK_WINDOW=600)
    client = app.test_client()
    body = _served(client)
    sent = [client.post("/api/feedback", json=_served_again(app, body)).status_code for _ in range(3)]
    assert sent == [201] * 3
    over = client.post("/api/feedback", json=_served_again(app, body))
    assert over.status_code == 429 and over.headers["Retry-After"] == "600"
    assert over.get_json()["error"]["code"] == "too_many_requests"
    page = client.post("/feedback?lang=en", data=_served_again(app, body))
    assert page.status_code == 429 and "too much feedback" in page.get_data(as_text=True)
    other = client.post("/api/feedback", json=_served_again(app, body), environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 201 and _rows(app) == 4


def test_the_database_stops_growing_at_its_cap(pipeline, tmp_path: Path) -> None:
    cap = 48 * 1024
    app = _app(pipeline, tmp_path, RAGQA_FEEDBACK_MAX_BYTES=cap, RAGQA_FEEDBACK_LIMIT=10_000)
    client = app.test_client()
    body = _served(client)
    statuses = [client.post("/api/feedback", json=_served_again(app, body)).status_code for _ in range(60)]
    assert statuses[0] == 201 and statuses[-1] == 507, statuses
    full = client.post("/api/feedback", json=_served_again(app, body)).get_json()["error"]
    assert full["code"] == "feedback_full" and "full" in full["message"] and str(tmp_path) not in full["message"]
    assert Path(app.config["RAGQA_FEEDBACK_DB"]).stat().st_size <= cap
    assert _rows(app) == statuses.count(201)


class SlowPipeline:
    """The real pipeline, each answer held for a second (a stand-in for a slow machine), so that
    six questions sent together are all in flight at once."""

    def __init__(self, pipeline) -> None:
        self._pipeline = pipeline

    def __getattr__(self, name: str):
        return getattr(self._pipeline, name)

    def begin(self, questions, top_k=5, filters=None):  # what web.state asks through
        time.sleep(1.0)
        return self._pipeline.begin(questions, top_k, filters)


def test_six_concurrent_page_questions_with_queue_depth_0_answer_at_most_one(pipeline, tmp_path: Path) -> None:
    app = _app(SlowPipeline(pipeline), tmp_path, RAGQA_QUEUE_DEPTH=0, RAGQA_QUEUE_WAIT=0)
    start = threading.Barrier(6)
    responses: list = []

    def ask(n: int) -> None:
        client = app.test_client()
        start.wait()
        responses.append(client.get(f"/?lang=en&q=福建三峡海上风电国际产业园占地多少亩{n}？"))

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) <= 1 and statuses.count(429) >= 5, statuses
    busy = next(r for r in responses if r.status_code == 429)
    html = busy.get_data(as_text=True)
    assert busy.headers["Retry-After"] == "1" and 'role="alert"' in html and "busy" in html and "Traceback" not in html


def test_with_api_keys_every_api_call_needs_one(pipeline, tmp_path: Path, monkeypatch) -> None:
    keys = tmp_path / "keys"
    keys.write_text("# one a line\nfile-key\n", encoding="utf-8")
    monkeypatch.setenv("RAGQA_API_KEYS", "k1, k2")
    monkeypatch.setenv("RAGQA_API_KEYS_FILE", str(keys))
    app = _app(pipeline, tmp_path)
    client = app.test_client()
    calls = [("post", "/api/ask", {"question": ANSWERED}), ("post", "/api/feedback", {"question": "q"})]
    for method, path, body in calls:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic k1"}):
            response = getattr(client, method)(path, json=body, headers=headers)
            assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized", path
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
    for key in ("k1", "k2", "file-key"):
        ok = client.post("/api/ask", json={"question": ANSWERED}, headers={"Authorization": f"Bearer {key}"})
        assert ok.status_code == 200 and ok.get_json()["answer"]["text"] == "1000亩"
    assert client.get("/healthz").status_code == 200 and client.get("/readyz").status_code == 200
    assert client.get("/?lang=en").status_code == 403 and client.get("/?q=x").status_code == 403
    monkeypatch.setenv("RAGQA_OPEN_PAGE", "1")
    open_page = _app(pipeline, tmp_path).test_client()
    assert open_page.get("/?lang=en&q=" + ANSWERED).status_code == 200
    from_page = open_page.post("/api/ask", json={"question": ANSWERED}, headers=_page_headers(open_page))
    assert from_page.status_code == 200
    assert open_page.post("/api/ask", json={"question": ANSWERED}).status_code == 401


def _page_headers(client) -> dict[str, str]:
    """What the open page's script sends: the token the page was served with."""
    html = client.get("/?lang=en").get_data(as_text=True)
    match = re.search(r'data-page-token="([^"]+)"', html)
    assert match, "the open page carries no token for its script"
    return {"X-Ragqa-Page": match.group(1)}


def test_same_origin_header_alone_opens_no_api_route(pipeline, tmp_path: Path, monkeypatch) -> None:
    """Browser headers are not credentials: any client can send Sec-Fetch-Site; the page's token is what counts."""
    monkeypatch.setenv("RAGQA_API_KEYS", "k1")
    monkeypatch.setenv("RAGQA_OPEN_PAGE", "1")
    client = _app(pipeline, tmp_path).test_client()
    same_origin = {"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors", "Origin": "http://localhost"}
    asked = client.post("/api/ask", json={"question": ANSWERED}, headers=same_origin)
    assert asked.status_code == 401 and asked.get_json()["error"]["code"] == "unauthorized"
    assert client.post("/api/feedback", json={"question": "q", "rating": "up"}, headers=same_origin).status_code == 401
    assert client.get("/api/status", headers=same_origin).status_code == 401
    # The page's own token opens what its script calls, and nothing more.
    page = _page_headers(client)
    body = _served(client, headers={**same_origin, **page})
    assert body["answer"] == "1000亩"
    assert client.post("/api/feedback", json=body, headers={**same_origin, **page}).status_code == 201
    assert client.get("/api/status", headers=page).status_code == 401
    # Forged, expired or from a server with other keys: refused, with a hint to reload the page.
    issued, _, mac = page["X-Ragqa-Page"].partition(".")
    stale = access.issue_page_token(("k1",), now=time.time() - access.PAGE_TOKEN_SECONDS - 1)
    for token in (f"{int(issued) + 1}.{mac}", f"{issued}.{'0' * len(mac)}", stale, access.issue_page_token(("k2",))):
        refused = client.post("/api/ask", json={"question": ANSWERED}, headers={"X-Ragqa-Page": token})
        assert refused.status_code == 401 and "reload" in refused.get_json()["error"]["message"], token
    # Without keys there is nothing to carry: the page has no token and the API is open.
    monkeypatch.delenv("RAGQA_API_KEYS")
    assert "data-page-token" not in _app(pipeline, tmp_path).test_client().get("/").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/api/ask", "/api/feedback"])
def test_json_nested_too_deep_is_400(client, path: str, caplog) -> None:
    with caplog.at_level(logging.ERROR):
        response = client.post(path, data="[" * 1000 + "]" * 1000, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_json"
    assert "Traceback" not in caplog.text and not any(r.exc_info for r in caplog.records)


@pytest.mark.parametrize(
    "raw,code",
    [
        ('{"question": "q", "rating": "up", "passages": ["x"], "\\udc00": 1}', "unknown_field"),
        ('{"question": "q", "rating": "up", "passages": ["\\ud800"]}', "invalid_passages"),
    ],
)
def test_a_lone_surrogate_in_feedback_keys_or_ids_is_400(client, raw: str, code: str) -> None:
    response = client.post("/api/feedback", data=raw, content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == code


def test_doubled_slashes_with_a_forged_host_do_not_redirect(client, pipeline, tmp_path: Path) -> None:
    raw = {"PATH_INFO": "//api//ask", "HTTP_HOST": "evil.example"}  # as a raw client sends it, not parsed as a URL
    response = client.post("/", json={"question": ANSWERED}, environ_overrides=raw)
    assert response.status_code == 404 and "Location" not in response.headers
    trusted = _app(pipeline, tmp_path, TRUSTED_HOSTS=["qa.example.org"]).test_client()
    assert trusted.get("/healthz", headers={"Host": "evil.example"}).status_code == 400
    assert trusted.get("/healthz", headers={"Host": "qa.example.org"}).status_code == 200


def test_form_feedback_on_a_long_question_redirects_to_a_short_url(client) -> None:
    question = ("福建三峡海上风电国际产业园" * 40)[:500]
    form = _served(client, question)
    response = client.post("/feedback", data={**{k: v for k, v in form.items() if v is not None}, "lang": "zh"})
    assert response.status_code == 303 and len(response.headers["Location"]) < 80
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "谢谢" in page and question in page  # the thanks, under the question it was about


def test_server_error_messages_do_not_name_internal_paths(pipeline, tmp_path: Path, caplog) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    app = create_app({"TESTING": True, "RAGQA_FEEDBACK_DB": str(blocker / "fb.sqlite3")}, pipeline=pipeline)
    client = app.test_client()
    with caplog.at_level(logging.ERROR):
        data = client.post("/api/ask", json={"question": ANSWERED}).get_json()
        assert data["answer"]["text"] == "1000亩" and data["feedback_token"] is None  # answers still served
        body = {"question": data["question"], "rating": "up", "answer": None, "passage_id": None, "passages": ["x"]}
        response = client.post("/api/feedback", json={**body, "token": "t"})
    text = response.get_data(as_text=True)
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "feedback_unavailable"
    assert str(tmp_path) not in text and "Errno" not in text and "directory" not in text
    assert str(blocker) in caplog.text  # the operator still learns where and why
    missing = create_app(
        {"TESTING": True, "RAGQA_FEEDBACK_DB": str(tmp_path / "f.sqlite3"), "RAGQA_INDEX": str(tmp_path / "nowhere")}
    ).test_client()
    error = missing.post("/api/ask", json={"question": "q"}).get_json()["error"]
    assert error["code"] == "index_unavailable" and str(tmp_path) not in error["message"]


def test_export_keeps_only_answers_found_in_their_passage(client, app, runner, tmp_path: Path) -> None:
    from qa.cli import main

    assert client.post("/api/feedback", json=_served(client)).status_code == 201
    db = Path(app.config["RAGQA_FEEDBACK_DB"])
    with sqlite3.connect(db) as con:  # a record stored before answers were signed, its answer nowhere in its passage
        con.execute(
            "INSERT INTO feedback (created_at, question, rating, answer, passage_id, correction, passages, "
            "context_id, title, context) SELECT created_at, question, 'up', '五万亩', passage_id, NULL, passages, "
            "context_id, title, context FROM feedback"
        )
    out = tmp_path / "export.json"
    result = runner.invoke(main, ["feedback", "export", "--db", str(db), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "exported 1" in result.output and "1 whose answer is not in its passage" in result.output
    answers = [
        a["text"]
        for art in json.loads(out.read_text())["data"]
        for p in art["paragraphs"]
        for q in p["qas"]
        for a in q["answers"]
    ]
    assert answers == ["1000亩"]
