"""JSON API: `POST /api/ask`, `GET /healthz`, `GET /readyz`, `GET /openapi.json`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from qa.errors import BadRequest, RagqaError
from qa.pipeline import DEFAULT_TOP_K
from web import state

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
    """Answer one question: `{"question": str, "top_k": int}`; `feedback_token` goes back with feedback on it."""
    body = json_body("question")
    if not isinstance(body, dict):
        raise BadRequest('the body must be a JSON object like {"question": "..."}', code="invalid_body")
    if "question" not in body:
        raise BadRequest("'question' is required", code="missing_question")
    top_k = DEFAULT_TOP_K if body.get("top_k") is None else body["top_k"]
    return jsonify(state.served(state.ask(body["question"], top_k)))


@bp.get("/healthz")
def healthz():
    """Liveness: the process answers."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """Readiness: the model and index are loaded; says which version serves and why a newer one was refused."""
    try:
        pipeline = state.get_pipeline()
    except RagqaError as exc:
        return jsonify({"status": "unavailable", "reason": exc.message}), 503
    refused = state.state().source.status().get("refused")
    return jsonify({"status": "ready", **pipeline.info(), **({"refused": refused} if refused else {})})


@bp.get("/openapi.json")
def openapi():
    """The OpenAPI 3 description of this JSON API."""
    from web.openapi import document

    return jsonify(document())
