"""JSON API: `POST /api/ask` and `/api/search`, `GET /api/status`, `/healthz`, `/readyz` and `/openapi.json`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from qa.errors import BadRequest, RagqaError
from qa.pipeline import DEFAULT_TOP_K
from web import state
from web.errors import public_message

bp = Blueprint("api", __name__)


def json_body(what: str) -> Any:
    """The request's JSON body, or the 415/400 every JSON endpoint answers when it is not JSON."""
    if not request.is_json:
        raise BadRequest(
            f"send the {what} as JSON with Content-Type: application/json", code="unsupported_media_type", status=415
        )
    try:
        body: Any = request.get_json(silent=True)
    except RecursionError:  # ~1,000 nested arrays exhaust the parser's stack: bad input, not a server error
        raise BadRequest("the request body is nested too deeply", code="invalid_json") from None
    if body is None:
        raise BadRequest("the request body is not valid JSON", code="invalid_json")
    return body


@bp.post("/api/ask")
def ask():
    """Answer one question: `{"question": str, "top_k": int, "filters": {...}}`; `feedback_token` goes back with
    feedback on it."""
    body = json_body("question")
    if not isinstance(body, dict):
        raise BadRequest('the body must be a JSON object like {"question": "..."}', code="invalid_body")
    if "question" not in body:
        raise BadRequest("'question' is required", code="missing_question")
    top_k = DEFAULT_TOP_K if body.get("top_k") is None else body["top_k"]
    return jsonify(state.served(state.ask(body["question"], top_k, body.get("filters"))))


@bp.post("/api/search")
def search():
    """Rank passages for a query, without the reader: `{"query": str, "top_k": int, "filters": {...}}`."""
    body = json_body("query")
    if not isinstance(body, dict):
        raise BadRequest('the body must be a JSON object like {"query": "..."}', code="invalid_body")
    if "query" not in body:
        raise BadRequest("'query' is required", code="missing_query")
    top_k = DEFAULT_TOP_K if body.get("top_k") is None else body["top_k"]
    return jsonify(state.search(body["query"], top_k, body.get("filters")).to_dict())


@bp.get("/healthz")
def healthz():
    """Liveness: the process answers."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """Readiness: 200 once the model and index are loaded, 503 before; nothing more (it is open to anyone)."""
    if state.ready():
        return jsonify({"status": "ready"})
    return jsonify({"status": "unavailable"}), 503


@bp.get("/api/status")
def status():
    """What serves (model, passages, index version and folder) and what newer version was refused; keyed."""
    try:
        pipeline = state.get_pipeline()
    except RagqaError as exc:  # why in general; the log has the file and the error
        return jsonify({"status": "unavailable", "reason": public_message(exc)}), 503
    return jsonify({"status": "ready", **pipeline.info(), **state.state().source.status()})


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3 description of this JSON API."""
    from web.openapi import document

    return jsonify(document())
