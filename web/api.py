"""JSON API: `POST /api/ask`, `GET /healthz`, `GET /readyz`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request

from qa.errors import BadRequest, IndexUnavailable, RagqaError
from qa.pipeline import DEFAULT_TOP_K, Pipeline

bp = Blueprint("api", __name__)


def get_pipeline() -> Pipeline:
    """The app's pipeline, or the error that kept it from loading."""
    state = current_app.extensions["ragqa"]
    if state["pipeline"] is None:
        error = state["error"]
        raise error if isinstance(error, RagqaError) else IndexUnavailable("the index is not loaded")
    return state["pipeline"]


@bp.post("/api/ask")
def ask():  # type: ignore[no-untyped-def]
    """Answer one question: `{"question": str, "top_k": int}`."""
    if not request.is_json:
        raise BadRequest("send the question as JSON with Content-Type: application/json",
                         code="unsupported_media_type", status=415)
    body: Any = request.get_json(silent=True)
    if body is None:
        raise BadRequest("the request body is not valid JSON", code="invalid_json")
    if not isinstance(body, dict):
        raise BadRequest('the body must be a JSON object like {"question": "..."}', code="invalid_body")
    if "question" not in body:
        raise BadRequest("'question' is required", code="missing_question")
    top_k = body.get("top_k")
    result = get_pipeline().ask(body["question"], DEFAULT_TOP_K if top_k is None else top_k)
    return jsonify(result.to_dict())


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    """Liveness: the process answers."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():  # type: ignore[no-untyped-def]
    """Readiness: the model and index are loaded."""
    state = current_app.extensions["ragqa"]
    if state["pipeline"] is None:
        error = state["error"]
        reason = error.message if isinstance(error, RagqaError) else "the index is not loaded"
        return jsonify({"status": "unavailable", "reason": reason}), 503
    return jsonify({"status": "ready", **state["pipeline"].info()})
