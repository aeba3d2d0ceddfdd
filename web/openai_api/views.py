"""`POST /v1/chat/completions`, `GET /v1/models` and `GET /v1/models/<id>`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from web import request_id, state
from web.api import json_body
from web.openai_api import messages, reply

bp = Blueprint("openai", __name__)


def _model(collection: str) -> dict[str, Any]:
    return {"id": messages.model_id(collection), "object": "model", "created": 0, "owned_by": "ragqa"}


@bp.get("/v1/models")
def models():
    """One model per collection the key may read: `ragqa` (the default collection), `ragqa/<name>`."""
    return jsonify({"object": "list", "data": [_model(name) for name in state.readable_collections()]})


@bp.get("/v1/models/<path:model>")
def model(model: str):
    """One model, or 404 for one that is not there (or that this key may not read)."""
    collection = messages.collection_of(model)
    if collection not in state.readable_collections():
        raise messages.ModelNotFound(f"no model named {model!r}; GET /v1/models lists the ones this key may use")
    return jsonify(_model(collection))


@bp.post("/v1/chat/completions")
def chat_completions():
    """Answer the last user message from the collection the model names; `stream: true` sends SSE chunks."""
    asked = messages.read(json_body("chat request"))
    if asked.collection not in state.readable_collections():  # missing, or not this key's: alike, as on /api
        raise messages.ModelNotFound(f"no model named {asked.model!r}; GET /v1/models lists the ones this key may use")
    history = messages.history_turns(asked.history)
    result, reading = state.ask_in_context(asked.question, asked.top_k, asked.filters, asked.collection, history)
    served = {**state.served(result), "read_as": reading.to_dict()}
    cited = reply.citations(served)
    text = reply.message_text(served, cited)
    extra = reply.extension(served, cited)
    reply_id = "chatcmpl-" + request_id.current()
    if not asked.stream:
        return jsonify(reply.completion(reply_id, asked.model, text, extra))
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}  # nginx would hold the events back
    return Response(reply.chunks(reply_id, asked.model, text, extra), mimetype="text/event-stream", headers=headers)
