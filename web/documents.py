"""Collections and their documents over HTTP: list and create collections, upload, list and delete documents.

An upload is answered 202 once its bytes are on disk and queued (`qa.collections`); the writer
applies it in the background and its status says how it went (`GET .../documents/<id>`). The
default collection is the server's own index: it can be read here, never written (409 `read_only`).
The upload route alone takes a large body: RAGQA_UPLOAD_MAX_FILES files of RAGQA_MAX_FILE_BYTES each;
every other route keeps the app's 16 KB.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from qa.collections.collection import Collection, Upload
from qa.collections.names import check_name
from qa.collections.uploads import UploadLimits
from qa.errors import BadRequest, RagqaError
from web import state
from web.access import require_create
from web.api import json_body
from web.errors import error_response

bp = Blueprint("documents", __name__)


def limits() -> UploadLimits:
    config = current_app.config
    return UploadLimits(int(config["RAGQA_MAX_FILE_BYTES"]), int(config["RAGQA_UPLOAD_MAX_FILES"]))


def _collection(name: str, write: bool = False) -> Collection:
    """The named collection, if this request's key may read it (else 404, as for one that does not exist)
    and, for `write`, write it (403)."""
    state.check_access(name, write=write)
    collection = state.collections().get(name)
    return collection.writable() if write else collection


@bp.get("/api/collections")
def collections():
    """The collections this key may read, each with its documents by status, passages and live version."""
    listed = []
    for name in state.readable_collections():
        collection = state.collections().get(name)
        version, passages = collection.served()
        listed.append({**collection.summary(), "passages": passages, "version": version})
    return jsonify({"collections": listed})


@bp.post("/api/collections")
def create():
    """Create an empty collection: `{"name": "x"}` -> 201 (409 `exists` when it does)."""
    body = json_body("collection")
    if not isinstance(body, dict) or "name" not in body:
        raise BadRequest('the body must be a JSON object like {"name": "reports"}', code="invalid_body")
    name = check_name(body["name"])
    require_create(name)
    made = state.collections().create(name)
    return jsonify({"name": made.name}), 201


@bp.post("/api/collections/<name>/documents")
def upload(name: str):
    """Upload one or more files (multipart, field `file`) with optional `metadata` (a JSON object of scalars,
    given to every file): 202 once their bytes are on disk and queued."""
    collection = _collection(name, write=True)
    files = request.files.getlist("file")
    uploads = [Upload(f.filename or "", f.stream) for f in files]
    added = collection.add(uploads, request.form.get("metadata"), limits())
    _wake()
    return jsonify({"documents": [entry.to_dict() for entry in added]}), 202


@bp.get("/api/collections/<name>/documents")
def documents(name: str):
    """Every document of a collection with its status (queued, indexing, ready, failed with the reason)."""
    collection = _collection(name)
    entries = [] if collection.read_only else collection.queue.all()
    return jsonify({"documents": [entry.to_dict() for entry in entries]})


@bp.get("/api/collections/<name>/documents/<doc_id>")
def document(name: str, doc_id: str):
    """One document and its status."""
    collection = _collection(name)
    if collection.read_only:
        raise RagqaError(f"no document {doc_id!r} in this collection", code="not_found", status=404)
    return jsonify(collection.queue.get(doc_id).to_dict())


@bp.delete("/api/collections/<name>/documents/<doc_id>")
def delete(name: str, doc_id: str):
    """Remove a document: 202, `deleting` until the writer has taken it out of the index."""
    entry = _collection(name, write=True).remove(doc_id)
    _wake()
    return jsonify({"id": entry.id, "status": entry.status}), 202


@bp.post("/api/collections/<name>/reindex")
def reindex(name: str):
    """Read and embed the collection's whole folder again (after a reader upgrade): 202, done in the background."""
    collection = _collection(name, write=True)
    collection.reindex()
    _wake()
    return jsonify({"name": collection.name, "status": "queued"}), 202


def _wake() -> None:
    writer = state.state().writer
    if writer is not None:
        writer.wake()


def _upload_limit() -> None:
    # Set before anything reads the body (web.body reads a chunked one whole in its own hook).
    if request.endpoint == "documents.upload":
        request.max_content_length = limits().request_bytes


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge):
    limit = limits()
    return error_response(
        413,
        "body_too_large",
        f"the upload is larger than {limit.request_bytes / 2**20:.0f} MB "
        f"({limit.max_files} files of {limit.max_file_bytes / 2**20:.3g} MB at most)",
    )


def init_app(app: Flask) -> None:
    app.before_request(_upload_limit)
