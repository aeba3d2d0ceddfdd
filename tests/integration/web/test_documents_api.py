"""Collections and documents over HTTP through Flask's test client, on the real model and a real index:
upload a .txt and a .md, the background writer indexes them, questions to the collection find them,
a filter on an upload field selects them, a delete takes its answers away; and every refusal."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.helpers import feedback_on
from web import create_app

LUMEN = """The Lumen Bridge

The Lumen Bridge crosses the Kestrel River at Harrowgate. It opened in March 2019.
The bridge is 840 metres long and carries two tram lines.
"""
WHALE = """# Harbor Museum

The Harbor Museum keeps a blue whale skeleton that is 21 metres long.
The skeleton was found on Sable Beach in 1987.
"""
MAX_FILE = 64 * 1024
WAIT = 120  # seconds for the writer to embed two small files on a busy machine


@pytest.fixture()
def documents_app(pipeline, tmp_path: Path):
    app = create_app(
        {
            "TESTING": True,
            "RAGQA_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3"),
            "RAGQA_DATA": str(tmp_path / "collections"),
            "RAGQA_WRITER": True,  # off by default for an app around a passed-in pipeline
            "RAGQA_RELOAD_INTERVAL": 0.0,
            "RAGQA_MAX_FILE_BYTES": MAX_FILE,
            "RAGQA_UPLOAD_MAX_FILES": 3,
        },
        pipeline=pipeline,
    )
    yield app
    writer = app.extensions["ragqa"].writer
    if writer is not None:
        writer.stop()


@pytest.fixture()
def client(documents_app):
    return documents_app.test_client()


def upload(client, collection: str, *files: tuple[str, bytes], metadata: str | None = None):
    data: dict[str, Any] = {"file": [(io.BytesIO(content), name) for name, content in files]}
    if metadata is not None:
        data["metadata"] = metadata
    return client.post(f"/api/collections/{collection}/documents", data=data, content_type="multipart/form-data")


def settled(client, collection: str, doc_id: str) -> dict[str, Any]:
    """The document once the writer is done with it (ready or failed), or a 404 once it is deleted."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        response = client.get(f"/api/collections/{collection}/documents/{doc_id}")
        if response.status_code == 404 or response.get_json()["status"] in ("ready", "failed"):
            return response.get_json() if response.status_code == 200 else {"status": "gone"}
        time.sleep(0.2)
    raise AssertionError(f"document {doc_id} not settled in {WAIT} s")


def ask(client, question: str, **body: Any) -> dict[str, Any]:
    response = client.post("/api/ask", json={"question": question, **body})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_uploads_are_indexed_asked_filtered_and_deleted(client) -> None:
    assert client.post("/api/collections", json={"name": "notes"}).status_code == 201
    response = client.post("/api/ask", json={"question": "How long is the Lumen Bridge?", "collection": "notes"})
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "empty"

    response = upload(
        client, "notes", ("lumen.txt", LUMEN.encode()), ("whale.md", WHALE.encode()), metadata='{"team": "ops"}'
    )
    assert response.status_code == 202
    lumen, whale = response.get_json()["documents"]
    assert (lumen["name"], lumen["status"], lumen["metadata"]) == ("lumen.txt", "queued", {"team": "ops"})
    for doc in (lumen, whale):
        done = settled(client, "notes", doc["id"])
        assert done["status"] == "ready" and done["reason"] is None and done["passages"] >= 1

    data = ask(client, "How long is the Lumen Bridge?", collection="notes")
    assert data["collection"] == "notes" and "840 metres" in data["answer"]["text"]
    assert {p["source"]["path"] for p in data["passages"]} == {"lumen.txt", "whale.md"}
    assert "1987" in ask(client, "In which year was the whale skeleton found?", collection="notes")["answer"]["text"]
    # The default collection is another index: it knows nothing of the bridge.
    default = ask(client, "How long is the Lumen Bridge?")
    assert default["collection"] == "default" and "lumen.txt" not in {p["source"]["path"] for p in default["passages"]}

    filtered = ask(client, "How long is the Lumen Bridge?", collection="notes", filters={"team": "ops"})
    assert "840 metres" in filtered["answer"]["text"] and filtered["filtered"]["documents"] == 2
    nothing = ask(client, "How long is the Lumen Bridge?", collection="notes", filters={"team": "legal"})
    assert nothing["answer"] is None and nothing["note"]

    found = client.post("/api/search", json={"query": "Lumen Bridge length", "collection": "notes"}).get_json()
    assert found["collection"] == "notes" and found["passages"][0]["source"]["path"] == "lumen.txt"

    listed = client.get("/api/collections").get_json()["collections"]
    notes = next(c for c in listed if c["name"] == "notes")
    assert notes["documents"]["ready"] == 2 and notes["passages"] >= 2 and notes["version"] and not notes["read_only"]
    assert next(c for c in listed if c["name"] == "default")["read_only"]

    response = client.delete(f"/api/collections/notes/documents/{lumen['id']}")
    assert response.status_code == 202 and response.get_json() == {"id": lumen["id"], "status": "deleting"}
    assert settled(client, "notes", lumen["id"]) == {"status": "gone"}
    deadline = time.monotonic() + 10  # the collection's pipeline follows the new version
    while time.monotonic() < deadline:
        after = ask(client, "How long is the Lumen Bridge?", collection="notes")
        if {p["source"]["path"] for p in after["passages"]} == {"whale.md"}:
            break
        time.sleep(0.2)
    assert {p["source"]["path"] for p in after["passages"]} == {"whale.md"}
    assert after["answer"] is None or "840" not in after["answer"]["text"]
    assert [d["name"] for d in client.get("/api/collections/notes/documents").get_json()["documents"]] == ["whale.md"]


def test_a_file_the_indexer_cannot_read_fails_with_its_reason_and_blocks_nothing(client) -> None:
    client.post("/api/collections", json={"name": "mixed"})
    broken = b"%PDF-1.4\n" + b"\x00garbage" * 20  # a PDF by its first bytes, but no PDF inside
    response = upload(client, "mixed", ("broken.pdf", broken), ("lumen.txt", LUMEN.encode()))
    assert response.status_code == 202
    bad, good = response.get_json()["documents"]
    failed = settled(client, "mixed", bad["id"])
    assert failed["status"] == "failed" and failed["reason"]
    assert settled(client, "mixed", good["id"])["status"] == "ready"
    assert "840 metres" in ask(client, "How long is the Lumen Bridge?", collection="mixed")["answer"]["text"]


def error(response, status: int, code: str) -> None:
    assert response.status_code == status, response.get_json()
    assert response.get_json()["error"]["code"] == code


def test_refusals(client) -> None:
    client.post("/api/collections", json={"name": "notes"})
    error(client.post("/api/collections", json={"name": "notes"}), 409, "exists")
    error(client.post("/api/collections", json={"name": "Bad Name"}), 400, "invalid_name")
    error(client.post("/api/ask", json={"question": "hi", "collection": "nope"}), 404, "not_found")
    error(client.post("/api/ask", json={"question": "hi", "collection": 3}), 400, "invalid_collection")
    error(client.get("/api/collections/nope/documents"), 404, "not_found")
    error(client.get("/api/collections/notes/documents/nope"), 404, "not_found")
    error(client.delete("/api/collections/notes/documents/nope"), 404, "not_found")
    error(upload(client, "nope", ("a.txt", b"x")), 404, "not_found")
    error(upload(client, "notes", ("a.exe", b"MZ\x90\x00")), 415, "unsupported_type")
    error(upload(client, "notes", ("a.pdf", b"plain text")), 415, "unsupported_type")
    error(upload(client, "notes", ("a.txt", b"x" * (MAX_FILE + 1))), 413, "file_too_large")
    error(upload(client, "notes", *[(f"{n}.txt", b"x") for n in range(4)]), 413, "file_too_large")
    big = [(f"{n}.txt", b"x" * MAX_FILE) for n in range(4)]  # the whole request over the route's limit
    response = upload(client, "notes", *big)
    error(response, 413, "body_too_large")
    assert "MB" in response.get_json()["error"]["message"]
    error(upload(client, "notes", ("a.txt", b"x"), metadata="[1]"), 400, "invalid_metadata")
    error(upload(client, "notes", ("a.txt", b"x"), metadata='{"a": {"b": 1}}'), 400, "invalid_metadata")
    error(upload(client, "notes"), 400, "missing_file")
    error(upload(client, "default", ("a.txt", b"x")), 409, "read_only")
    error(client.delete("/api/collections/default/documents/x"), 409, "read_only")
    error(client.post("/api/collections/default/reindex"), 409, "read_only")
    # Every other route keeps the app's 16 KB body limit.
    error(
        client.post("/api/collections", data=b"{" + b" " * 20000 + b"}", content_type="application/json"),
        413,
        "body_too_large",
    )
    assert client.get("/api/collections/notes/documents").get_json() == {"documents": []}


def test_a_reindex_is_accepted_for_a_collection(client) -> None:
    client.post("/api/collections", json={"name": "notes"})
    response = client.post("/api/collections/notes/reindex")
    assert response.status_code == 202 and response.get_json() == {"name": "notes", "status": "queued"}


def test_keys_open_only_their_collections(pipeline, tmp_path: Path) -> None:
    app = create_app(
        {
            "TESTING": True,
            "RAGQA_FEEDBACK_DB": str(tmp_path / "feedback.sqlite3"),
            "RAGQA_DATA": str(tmp_path / "collections"),
            "RAGQA_API_KEYS": ("writer-key write *", "notes-reader read notes", "other-reader read other"),
        },
        pipeline=pipeline,
    )
    client = app.test_client()

    def as_(key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    for name in ("notes", "other"):
        assert client.post("/api/collections", json={"name": name}, headers=as_("writer-key")).status_code == 201
    error(client.post("/api/collections", json={"name": "mine"}, headers=as_("notes-reader")), 403, "forbidden")
    reader = as_("notes-reader")
    assert client.get("/api/collections/notes/documents", headers=reader).status_code == 200
    data = {"file": [(io.BytesIO(LUMEN.encode()), "lumen.txt")]}
    error(client.post("/api/collections/notes/documents", data=data, headers=reader), 403, "forbidden")
    # A key for another collection is told this one does not exist, whatever it asks.
    other = as_("other-reader")
    error(client.get("/api/collections/notes/documents", headers=other), 404, "not_found")
    data = {"file": [(io.BytesIO(LUMEN.encode()), "lumen.txt")]}
    error(client.post("/api/collections/notes/documents", data=data, headers=other), 404, "not_found")
    error(client.post("/api/ask", json={"question": "hi", "collection": "notes"}, headers=other), 404, "not_found")
    listed = client.get("/api/collections", headers=other).get_json()["collections"]
    assert [c["name"] for c in listed] == ["other"]
    assert client.get("/api/collections", headers=as_("writer-key")).get_json()["collections"][0]["name"] == "default"


def test_an_answer_from_a_collection_is_rated_and_shown_in_its_document(client) -> None:
    assert client.post("/api/collections", json={"name": "bridges"}).status_code == 201
    added = upload(client, "bridges", ("lumen.txt", LUMEN.encode())).get_json()["documents"][0]
    assert settled(client, "bridges", added["id"])["status"] == "ready"
    answered = ask(client, "How long is the Lumen Bridge?", collection="bridges")
    assert answered["collection"] == "bridges" and "840" in answered["answer"]["text"]
    feedback = feedback_on(answered)
    # Its passages are the collection's, not the default index's: rated there, unknown elsewhere.
    assert client.post("/api/feedback", json={**feedback, "collection": "bridges"}).status_code == 201
    assert client.post("/api/feedback", json=feedback).status_code == 400
    passage = quote(answered["answer"]["passage_id"], safe="")
    page = client.get(f"/context?passage={passage}&collection=bridges")
    assert page.status_code == 200 and "Kestrel River" in page.get_data(as_text=True)
    assert client.get(f"/context?passage={passage}").status_code == 404
