"""Keys per collection (web.access): key lines, grants, and the 401/403/404 a route's `require` answers.

The routes here are stand-ins for the collection routes (they only call `require` and `visible`), on a
Flask app with the real access check and error handler; no model or index is needed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Blueprint, Flask, jsonify, request

from qa.errors import RagqaError
from web import access, errors
from web.access import EVERYTHING, Grant, KeyRing, parse_line, read_keys

NAMES = ["default", "a", "b"]


def _app(keys: tuple[str, ...], **config: object) -> Flask:
    app = Flask("web")  # its templates: errors on pages are rendered as the real app renders them
    app.config.update({"RAGQA_API_KEYS": keys, "RAGQA_OPEN_PAGE": False, **config})
    errors.init_app(app)
    access.init_app(app)
    bp = Blueprint("stand_in", __name__)

    @bp.get("/api/collections")
    def listed():
        return jsonify({"collections": access.visible(NAMES)})

    @bp.post("/api/collections")
    def create():
        name = request.get_json()["name"]
        access.require_create(name)
        return jsonify({"name": name}), 201

    @bp.get("/api/collections/<name>/documents")
    def documents(name: str):
        access.require(name)
        if name not in NAMES:  # as the real route answers a collection that does not exist
            raise access.CollectionNotFound(name)
        return jsonify({"documents": []})

    @bp.post("/api/collections/<name>/documents")
    def upload(name: str):
        access.require(name, write=True)
        return jsonify({"documents": []}), 202

    @bp.get("/metrics")
    def metrics():
        return "ragqa_up 1\n"

    @bp.get("/v1/models")
    def models():
        return jsonify({"data": []})

    @bp.get("/admin")
    def admin():
        return "admin"

    page = Blueprint("chat", __name__)  # the name error pages link back to

    @page.get("/")
    def index():
        return "page"

    app.register_blueprint(bp)
    app.register_blueprint(page)
    return app


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize(
    "line,key,grant",
    [
        ("k", "k", EVERYTHING),  # a key alone: what a key meant before collections
        ("k read", "k", Grant("read", None)),
        ("k write *", "k", Grant("write", None)),
        ("k READ a,b", "k", Grant("read", frozenset({"a", "b"}))),
        ("  k   write   a  ", "k", Grant("write", frozenset({"a"}))),
    ],
)
def test_a_key_line_gives_its_role_on_its_collections(line: str, key: str, grant: Grant) -> None:
    assert parse_line(line, "here") == (key, grant)


@pytest.mark.parametrize("line", ["k admin", "k read A", "k read a,../b", "k read a b", "k write a,-b"])
def test_a_bad_key_line_is_an_error_that_names_the_line_not_the_key(line: str) -> None:
    with pytest.raises(RagqaError) as raised:
        parse_line(line, "line 3")
    assert raised.value.message.startswith("line 3: ") and "k " not in raised.value.message


def test_a_grant_reads_its_collections_and_writes_only_with_the_write_role() -> None:
    reader, writer = Grant("read", frozenset({"a"})), Grant("write", frozenset({"a"}))
    assert reader.can_read("a") and not reader.can_write("a") and not reader.can_read("b")
    assert writer.can_read("a") and writer.can_write("a") and not writer.can_write("b")
    assert EVERYTHING.can_write("anything")


def test_the_keys_file_is_read_with_roles_and_the_list_keys_open_everything(tmp_path: Path) -> None:
    file = tmp_path / "keys"
    file.write_text("# ops\nadmin\nreader-a read a\n\n  writer-ab   write a,b\nreader-all read *\n", encoding="utf-8")
    lines = read_keys("k1, k2", str(file))
    ring = KeyRing(lines)
    assert ring.grant("k1") == ring.grant("admin") == EVERYTHING
    assert ring.grant("reader-a") == Grant("read", frozenset({"a"}))
    assert ring.grant("writer-ab") == Grant("write", frozenset({"a", "b"}))
    assert ring.grant("reader-all") == Grant("read", None)
    assert ring.grant("reader") is None and ring.grant("reader-a read a") is None


def test_a_keys_file_with_a_bad_line_or_one_key_twice_fails_at_start(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.write_text("ok\nsecret-key reed a\n", encoding="utf-8")
    with pytest.raises(RagqaError, match="RAGQA_API_KEYS_FILE line 2") as raised:
        read_keys(None, str(bad))
    assert "secret-key" not in raised.value.message
    twice = tmp_path / "twice"
    twice.write_text("k read a\nk write a\n", encoding="utf-8")
    with pytest.raises(RagqaError, match="twice"):
        read_keys(None, str(twice))
    twice.write_text("k\n", encoding="utf-8")
    assert read_keys("k", str(twice)) == ("k",)  # the same key the same way twice is one key


def test_a_key_for_one_collection_is_told_the_others_do_not_exist() -> None:
    client = _app(("reader-a read a", "writer-b write b", "admin")).test_client()
    a = client.get("/api/collections/a/documents", headers=_bearer("reader-a"))
    assert a.status_code == 200
    b = client.get("/api/collections/b/documents", headers=_bearer("reader-a"))
    missing = client.get("/api/collections/nope/documents", headers=_bearer("admin"))
    assert b.status_code == 404 and b.get_json()["error"] == {"code": "not_found", "message": "no collection named b"}
    assert missing.status_code == 404 and missing.get_json()["error"]["message"] == "no collection named nope"
    upload_b = client.post("/api/collections/b/documents", headers=_bearer("reader-a"))
    assert upload_b.status_code == 404  # existence does not leak through writing either
    assert client.get("/api/collections", headers=_bearer("reader-a")).get_json() == {"collections": ["a"]}
    assert client.get("/api/collections", headers=_bearer("admin")).get_json() == {"collections": NAMES}


def test_a_read_key_cannot_write_and_a_write_key_writes_only_its_collections() -> None:
    client = _app(("reader-a read a", "writer-b write b")).test_client()
    refused = client.post("/api/collections/a/documents", headers=_bearer("reader-a"))
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    assert client.post("/api/collections/b/documents", headers=_bearer("writer-b")).status_code == 202
    assert client.post("/api/collections/a/documents", headers=_bearer("writer-b")).status_code == 404
    # Creating needs a write key on that name or on *.
    assert client.post("/api/collections", json={"name": "b"}, headers=_bearer("writer-b")).status_code == 201
    assert client.post("/api/collections", json={"name": "c"}, headers=_bearer("writer-b")).status_code == 403
    assert client.post("/api/collections", json={"name": "a"}, headers=_bearer("reader-a")).status_code == 403


def test_without_keys_everything_is_open_as_before() -> None:
    client = _app(()).test_client()
    assert client.post("/api/collections/a/documents").status_code == 202
    assert client.post("/api/collections", json={"name": "new"}).status_code == 201
    assert client.get("/api/collections").get_json() == {"collections": NAMES}
    assert client.get("/metrics").status_code == 200 and client.get("/").status_code == 200


@pytest.mark.parametrize("path", ["/metrics", "/v1/models", "/api/collections"])
def test_metrics_and_v1_are_keyed_like_api(path: str) -> None:
    client = _app(("k",), RAGQA_OPEN_PAGE=True).test_client()
    for headers in ({}, _bearer("wrong")):
        refused = client.get(path, headers=headers)
        assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get(path, headers=_bearer("k")).status_code == 200
    # The page's token opens what the page's script calls, not these.
    token = {access.PAGE_HEADER: access.issue_page_token(("k",))}
    assert client.get(path, headers=token).status_code == (200 if path == "/api/collections" else 401)


def test_the_open_page_reads_the_default_collection_and_those_opened_to_it() -> None:
    keys = ("k",)
    token = {access.PAGE_HEADER: access.issue_page_token(keys)}
    page = _app(keys, RAGQA_OPEN_PAGE=True).test_client()
    assert page.get("/api/collections", headers=token).get_json() == {"collections": ["default"]}
    assert page.get("/api/collections/default/documents").status_code == 401  # not a page route
    more = _app(keys, RAGQA_OPEN_PAGE=True, RAGQA_PAGE_COLLECTIONS=("b",)).test_client()
    assert more.get("/api/collections", headers=token).get_json() == {"collections": ["default", "b"]}
    assert more.post("/api/collections", json={"name": "x"}, headers=token).status_code == 403  # the page never writes


def test_page_collections_come_from_the_environment_and_are_checked(monkeypatch) -> None:
    monkeypatch.setenv("RAGQA_PAGE_COLLECTIONS", "b, a")
    assert _app(()).config["RAGQA_PAGE_COLLECTIONS"] == ("a", "b")
    monkeypatch.setenv("RAGQA_PAGE_COLLECTIONS", "*")
    assert _app(()).config["RAGQA_PAGE_COLLECTIONS"] == ("*",)
    monkeypatch.setenv("RAGQA_PAGE_COLLECTIONS", "a,B")
    with pytest.raises(RagqaError, match="RAGQA_PAGE_COLLECTIONS"):
        _app(())


def test_the_admin_page_shell_is_open_while_the_page_is_closed() -> None:
    """Its script asks for a key and sends it to the API; the shell itself holds nothing private."""
    client = _app(("k",)).test_client()
    assert client.get("/admin").status_code == 200
    assert client.get("/").status_code == 403
