"""JSON API: `POST /api/ask`, `GET /healthz`, `GET /readyz`, `GET /openapi.json`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request

from qa.errors import BadRequest, IndexUnavailable, RagqaError
from qa.pipeline import DEFAULT_TOP_K, Pipeline, check_question, check_top_k

bp = Blueprint("api", __name__)


@bp.before_app_request
def _follow_the_index() -> None:
    """Pick up a new index version before any page or API call uses the pipeline (cheap between checks)."""
    state = current_app.extensions["ragqa"]
    live = state.get("live")
    if live is not None:
        live.refresh()
        state["pipeline"], state["error"] = live.pipeline, live.error


def get_pipeline() -> Pipeline:
    """The app's pipeline, or the error that kept it from loading."""
    state = current_app.extensions["ragqa"]
    if state["pipeline"] is None:
        error = state["error"]
        raise error if isinstance(error, RagqaError) else IndexUnavailable("the index is not loaded")
    return state["pipeline"]


def json_body(what: str) -> Any:
    """The request's JSON body, or the 415/400 every JSON endpoint answers when it is not JSON."""
    if not request.is_json:
        raise BadRequest(f"send the {what} as JSON with Content-Type: application/json",
                         code="unsupported_media_type", status=415)
    body: Any = request.get_json(silent=True)
    if body is None:
        raise BadRequest("the request body is not valid JSON", code="invalid_json")
    return body


@bp.post("/api/ask")
def ask():  # type: ignore[no-untyped-def]
    """Answer one question: `{"question": str, "top_k": int}`."""
    body = json_body("question")
    if not isinstance(body, dict):
        raise BadRequest('the body must be a JSON object like {"question": "..."}', code="invalid_body")
    if "question" not in body:
        raise BadRequest("'question' is required", code="missing_question")
    top_k = DEFAULT_TOP_K if body.get("top_k") is None else body["top_k"]
    check_question(body["question"])  # refuse bad input before it queues for a slot
    check_top_k(top_k)
    pipeline = get_pipeline()  # one version answers the whole question, even if a reload lands meanwhile
    with current_app.extensions["ragqa"]["admission"].slot():
        result = pipeline.ask(body["question"], top_k)
    return jsonify(result.to_dict())


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    """Liveness: the process answers."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():  # type: ignore[no-untyped-def]
    """Readiness: the model and index are loaded; says which version serves and why a newer one was refused."""
    state = current_app.extensions["ragqa"]
    if state["pipeline"] is None:
        error = state["error"]
        reason = error.message if isinstance(error, RagqaError) else "the index is not loaded"
        return jsonify({"status": "unavailable", "reason": reason}), 503
    live = state.get("live")
    refused = live.status().get("refused") if live is not None else None
    return jsonify({"status": "ready", **state["pipeline"].info(), **({"refused": refused} if refused else {})})


@bp.get("/openapi.json")
def openapi():  # type: ignore[no-untyped-def]
    """The OpenAPI 3 description of this JSON API."""
    from web.openapi import document

    return jsonify(document())
