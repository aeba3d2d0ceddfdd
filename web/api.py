"""JSON API: `POST /api/ask` and `/api/search`, `GET /api/status`, `/healthz`, `/readyz` and `/openapi.json`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, jsonify, request

from qa.conversation.followup import Reading
from qa.errors import BadRequest, RagqaError
from qa.pipeline import DEFAULT_TOP_K, Result
from web import sse, state
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


@dataclass(frozen=True)
class Asked:
    """An ask or search body as the API reads it; the values are checked where they are used (`web.state`)."""

    text: Any  # the question, or the query
    top_k: Any = DEFAULT_TOP_K
    filters: Any = None
    collection: Any = None
    history: Any = None  # the conversation's earlier turns (ask only)


def asked(field: str) -> Asked:
    """An ask (`field` "question") or search ("query") body, or the 400 for a body that is not one."""
    body = json_body(field)
    if not isinstance(body, dict):
        raise BadRequest(f'the body must be a JSON object like {{"{field}": "..."}}', code="invalid_body")
    if field not in body:
        raise BadRequest(f"'{field}' is required", code=f"missing_{field}")
    top_k = DEFAULT_TOP_K if body.get("top_k") is None else body["top_k"]
    return Asked(body[field], top_k, body.get("filters"), body.get("collection"), body.get("history"))


def wants_events() -> bool:
    """Whether the client asked for the answer as server-sent events (Accept: text/event-stream)."""
    best = request.accept_mimetypes.best_match(["application/json", "text/event-stream"], default="application/json")
    return best == "text/event-stream"


@bp.post("/api/ask")
def ask():
    """Answer one question: `{"question": str, "top_k": int, "filters": {...}, "collection": str,
    "history": [{"question", "answer"}, ...]}`; `feedback_token` goes back with feedback on it.

    With `Accept: text/event-stream` the passages come as soon as retrieval ends (event `passages`),
    then the answer (event `answer`, the JSON answer as without streaming)."""
    body = asked("question")
    if wants_events():
        return _ask_events(body)
    result, reading = state.ask_in_context(body.text, body.top_k, body.filters, body.collection, body.history)
    return jsonify(_answered(result, reading, body))


def _answered(result: Result, reading: Reading, body: Asked) -> dict[str, Any]:
    return {**state.served(result), "read_as": reading.to_dict(), "collection": state.collection_name(body.collection)}


def _ask_events(body: Asked) -> Response:
    # Input errors, a 429 and the retrieval happen here, before the response starts: they are ordinary
    # JSON errors. The question slot is held until the answer is sent (or the client goes away).
    held = ExitStack()
    steps = held.enter_context(state.asking(body.text, body.top_k, body.filters, body.collection, body.history))
    collection = state.collection_name(body.collection)

    def events() -> Iterator[str]:
        with held:
            passages, reading = steps.passages()
            yield sse.event({**passages.to_dict(), "read_as": reading.to_dict(), "collection": collection}, "passages")
            try:
                result, reading = steps.answer()
            except RagqaError as exc:
                yield sse.event({"error": {"code": exc.code, "message": public_message(exc)}}, "error")
                return
            state.observe(result, collection)
            yield sse.event(_answered(result, reading, body), "answer")

    return sse.response(events(), on_close=held.close)


@bp.post("/api/search")
def search():
    """Rank passages for a query, without the reader: `{"query": str, "top_k": int, "filters": {...},
    "collection": str}`."""
    body = asked("query")
    found = state.search(body.text, body.top_k, body.filters, body.collection).to_dict()
    return jsonify({**found, "collection": state.collection_name(body.collection)})


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
    state.check_access(
        "default"
    )  # it names the server's own index and folder: a key for other collections only may not see it
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
