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


def asked(field: str) -> tuple[Any, Any, Any]:
    """(the question or query, top_k, filters) of an ask or search body, or the 400 for a body that is
    not one; the values are checked where they are used (`web.state`)."""
    body = json_body(field)
    if not isinstance(body, dict):
        raise BadRequest(f'the body must be a JSON object like {{"{field}": "..."}}', code="invalid_body")
    if field not in body:
        raise BadRequest(f"'{field}' is required", code=f"missing_{field}")
    return body[field], DEFAULT_TOP_K if body.get("top_k") is None else body["top_k"], body.get("filters")


@bp.post("/api/ask")
def ask():
    """Answer one question: `{"question": str, "top_k": int, "filters": {...}}`; `feedback_token` goes back with
    feedback on it."""
    return jsonify(state.served(state.ask(*asked("question"))))


@bp.post("/api/search")
def search():
    """Rank passages for a query, without the reader: `{"query": str, "top_k": int, "filters": {...}}`."""
    return jsonify(state.search(*asked("query")).to_dict())


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
