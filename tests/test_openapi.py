"""Fuzz the JSON API from its OpenAPI document: no server error, and every response matches the documented schema.

Hypothesis draws requests around the documented request schema (valid ones, each field out of
range or of the wrong type, arbitrary JSON, arbitrary bytes and content types); each response
is checked with jsonschema against the schema the document gives for its status code.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from web.openapi import document

DOC = document()
FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

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
    | st.tuples(st.binary(max_size=64), st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded", ""]))
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
    assert response.headers["X-Content-Type-Options"] == "nosniff" and response.headers["Referrer-Policy"] == "no-referrer"
