"""Fuzz the JSON API from its OpenAPI document: no server error, and every response matches the documented schema.

Hypothesis draws requests around the documented request schema (valid ones, each field out of
range or of the wrong type, arbitrary JSON, arbitrary bytes and content types); each response
is checked with jsonschema against the schema the document gives for its status code.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from web.openapi import document

DOC = document()
FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text as users and attackers send it: any code point, lone surrogates included (JSON can carry them).
texts = st.text(st.characters(codec=None), max_size=40) | st.text(alphabet="福建风电 \t\n", min_size=0, max_size=600)
top_ks = st.none() | st.integers(-3, 25) | st.booleans() | st.floats(allow_nan=False) | st.text(max_size=3)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
ask_objects = st.fixed_dictionaries({"question": texts}, optional={"top_k": top_ks, "extra": json_values})
bodies = (
    ask_objects.map(lambda b: (json.dumps(b), "application/json"))
    | json_values.map(lambda v: (json.dumps(v), "application/json"))
    | st.tuples(
        st.binary(max_size=64),
        st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded", ""]),
    )
)


def check_against_document(response, path: str, method: str) -> None:
    """The status is documented for the operation and the body matches its schema."""
    assert response.status_code < 500, response.get_data(as_text=True)
    operation = DOC["paths"][path][method]
    documented = operation["responses"].get(str(response.status_code))
    if documented is None:  # 404/405/413/415 are answered for any path by the one error handler
        assert response.status_code in (404, 405, 413, 415), response.status_code
        documented = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    schema = documented["content"]["application/json"]["schema"]
    Draft202012Validator({**schema, "components": DOC["components"]}).validate(response.get_json())
    if response.status_code == 429:
        assert int(response.headers["Retry-After"]) >= 1


@FUZZ
@given(body=bodies)
def test_fuzzed_questions_get_documented_responses(client, body) -> None:
    data, content_type = body
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    response = client.post("/api/ask", data=raw, content_type=content_type or None)
    check_against_document(response, "/api/ask", "post")


search_objects = st.fixed_dictionaries({"query": texts}, optional={"top_k": top_ks, "extra": json_values})


@FUZZ
@given(body=search_objects.map(lambda b: (json.dumps(b), "application/json")) | bodies)
def test_fuzzed_searches_get_documented_responses(client, body) -> None:
    data, content_type = body
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    response = client.post("/api/search", data=raw, content_type=content_type or None)
    check_against_document(response, "/api/search", "post")


@FUZZ
@given(path=st.sampled_from(sorted(DOC["paths"])), method=st.sampled_from(["get", "post", "put", "delete"]))
def test_every_path_and_method_gets_a_documented_json_answer(client, path: str, method: str) -> None:
    response = getattr(client, method)(path)
    if method not in DOC["paths"][path]:
        assert response.status_code in (405, 415) and response.get_json()["error"]["code"]
        return
    check_against_document(response, path, method)


def test_the_documented_limits_are_the_enforced_ones(client) -> None:
    ask = DOC["components"]["schemas"]["AskRequest"]["properties"]
    top = ask["top_k"]["maximum"]
    assert client.post("/api/ask", json={"question": "x", "top_k": top}).status_code == 200
    assert client.post("/api/ask", json={"question": "x", "top_k": top + 1}).status_code == 400
    longest = "问" * ask["question"]["maxLength"]
    assert client.post("/api/ask", json={"question": longest, "top_k": 1}).status_code == 200
    assert client.post("/api/ask", json={"question": longest + "问", "top_k": 1}).status_code == 400


@pytest.mark.parametrize("path", ["/api/ask", "/openapi.json", "/nowhere"])
def test_security_headers_on_api_and_document(client, path: str) -> None:
    response = client.get(path)
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert (
        response.headers["X-Content-Type-Options"] == "nosniff" and response.headers["Referrer-Policy"] == "no-referrer"
    )


# Ids an attacker would try: paths, SQL, markup, control characters. They are only ever data.
HOSTILE_IDS = [
    "../../etc/passwd",
    "/tmp/ragqa-owned",
    "file:///etc/hosts",
    "x'); DROP TABLE feedback;--",
    "<script>alert(1)</script>",
    "a\x00b",
    "\n",
    "C:\\Windows\\system.ini",
]


@st.composite
def feedback_bodies(draw, real_ids: list[str], signer):  # type: ignore[no-untyped-def]
    """Well-formed submissions over real passage ids, signed as served answers, and every field broken in turn."""
    ids = st.sampled_from(real_ids) | st.sampled_from(HOSTILE_IDS) | st.text(max_size=12)
    shown = draw(st.lists(st.sampled_from(real_ids), min_size=1, max_size=5, unique=True))
    rating = draw(st.sampled_from(["up", "down"]))
    answered = draw(st.booleans())
    body = {
        "question": draw(texts),
        "rating": rating,
        "answer": draw(texts) if answered else None,
        "passage_id": draw(st.sampled_from(shown)) if answered else None,
        "correction": draw(st.none() | texts) if rating == "down" else None,
        "passages": shown,
    }
    body["token"] = signer.sign(body["question"], body["answer"], body["passage_id"], shown)
    broken = draw(
        st.sampled_from(
            [None, "question", "rating", "answer", "passage_id", "correction", "passages", "extra", "token"]
        )
    )
    if broken == "token":
        body["token"] = draw(st.none() | texts)
    elif broken == "passages":
        body["passages"] = draw(st.lists(ids, max_size=22) | json_values)
    elif broken == "passage_id":
        body["passage_id"] = draw(ids | json_values)
    elif broken is not None:
        body[broken] = draw(json_values | texts | st.sampled_from(["meh", "UP", ""]))
    return body


@FUZZ
@given(data=st.data())
def test_fuzzed_feedback_is_stored_only_when_well_formed_and_only_in_its_database(client, app, pipeline, data) -> None:
    import sqlite3
    from pathlib import Path

    real_ids = [p.id for p in pipeline.passages[:6]]
    body = data.draw(feedback_bodies(real_ids, app.extensions["ragqa"].signer()))
    db = Path(app.config["RAGQA_FEEDBACK_DB"])

    def stored() -> list[tuple]:
        if not db.exists():
            return []
        with sqlite3.connect(db) as con:
            return con.execute("SELECT rating, passage_id, passages, context_id FROM feedback ORDER BY id").fetchall()

    before = stored()
    response = client.post("/api/feedback", data=json.dumps(body), content_type="application/json")
    event(f"status {response.status_code}")
    check_against_document(response, "/api/feedback", "post")
    after = stored()
    # Nothing is written beside the database, whatever the ids and texts say.
    assert {p.name for p in db.parent.iterdir()} <= {db.name, db.name + "-journal", db.name + ".key"}
    if response.status_code != 201:
        assert after == before
        return
    assert after[:-1] == before and len(after) == len(before) + 1
    rating, passage_id, passages, context_id = after[-1]
    assert (rating, passage_id, json.loads(passages)) == (body["rating"], body["passage_id"], body["passages"])
    assert context_id in body["passages"] and set(body["passages"]) <= set(real_ids)
    assert response.get_json()["id"] == len(after)
