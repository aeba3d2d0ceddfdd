"""A chat-completions request read into what ragqa asks: the question, the turns before it, the collection.

The last user message is the question; the user and assistant turns before it are the history a
follow-up question leans on. Sampling settings (temperature, max_tokens, …) mean nothing to an
extractive reader and are accepted and ignored, so clients that always send them still work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qa.errors import BadRequest, RagqaError
from qa.pipeline import DEFAULT_TOP_K

DEFAULT_MODEL = "ragqa"  # the default collection
PREFIX = DEFAULT_MODEL + "/"
DEFAULT_COLLECTION = "default"
TURN_ROLES = frozenset({"user", "assistant"})  # system, developer and tool messages give no question or answer


class ModelNotFound(RagqaError):
    status = 404
    code = "model_not_found"


@dataclass(frozen=True)
class Asked:
    """A chat request as ragqa reads it."""

    model: str
    collection: str
    question: str
    history: list[dict[str, str]]  # the earlier turns, oldest first: {"role": "user"|"assistant", "content": str}
    stream: bool
    top_k: Any
    filters: Any


def model_id(collection: str) -> str:
    return DEFAULT_MODEL if collection == DEFAULT_COLLECTION else PREFIX + collection


def collection_of(model: str) -> str:
    """The collection a model id names, or the 404 for an id that is not one of ours."""
    if model == DEFAULT_MODEL:
        return DEFAULT_COLLECTION
    if model.startswith(PREFIX) and len(model) > len(PREFIX):
        return model[len(PREFIX) :]
    raise ModelNotFound(f"no model named {model!r}; GET /v1/models lists the ones this key may use")


def text_of(content: Any, where: str) -> str:
    """A message's text: a string, or the text parts of a list of content parts (images are not read)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        if all(isinstance(p, str) for p in parts):
            return "\n".join(p for p in parts if p)
    if content is None:
        return ""
    raise BadRequest(f"{where}.content must be a string or a list of text parts", code="invalid_messages")


def read(body: Any) -> Asked:
    """The request body as an `Asked`, or the 400 that says what is wrong with it."""
    if not isinstance(body, dict):
        raise BadRequest(
            'the body must be a JSON object like {"model": "ragqa", "messages": [...]}', code="invalid_body"
        )
    model = body.get("model", DEFAULT_MODEL)
    if not isinstance(model, str):
        raise BadRequest("'model' must be a string, e.g. \"ragqa\"", code="invalid_model")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise BadRequest("'messages' must be a non-empty list of {role, content} objects", code="invalid_messages")
    turns: list[dict[str, str]] = []
    for n, message in enumerate(messages):
        if not isinstance(message, dict) or not isinstance(message.get("role"), str):
            raise BadRequest(f"messages[{n}] must be an object with a 'role' and a 'content'", code="invalid_messages")
        if message["role"] in TURN_ROLES:
            turns.append({"role": message["role"], "content": text_of(message.get("content"), f"messages[{n}]")})
    last_user = max((n for n, turn in enumerate(turns) if turn["role"] == "user"), default=None)
    if last_user is None:
        raise BadRequest("the messages hold no user message: the last one is the question", code="missing_question")
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise BadRequest("'stream' must be true or false", code="invalid_stream")
    top_k = body.get("top_k")
    return Asked(
        model=model,
        collection=collection_of(model),
        question=turns[last_user]["content"],
        history=turns[:last_user],
        stream=stream,
        top_k=DEFAULT_TOP_K if top_k is None else top_k,
        filters=body.get("filters"),
    )


def history_turns(history: list[dict[str, str]]) -> list[dict[str, str | None]]:
    """Chat turns as `/api/ask`'s history: each user message with the answer of the assistant message
    after it. An assistant message of ours starts with the answer and its citation mark ("42 [1]");
    one without it found nothing (or is not ours), and gives no answer to lean on."""
    turns: list[dict[str, str | None]] = []
    for turn in history:
        if turn["role"] == "user":
            turns.append({"question": turn["content"], "answer": None})
        elif turns and turns[-1]["answer"] is None:
            first = turn["content"].strip().split("\n", 1)[0]
            turns[-1]["answer"] = first.removesuffix(" [1]") if first.endswith(" [1]") else None
    return [t for t in turns if (t["question"] or "").strip()][-20:]
