"""One place that turns errors into responses: JSON under /api, OpenAI's JSON shape under /v1, a readable
page elsewhere.

A server error's own message can name files and OS errors (the index folder, the feedback
database); clients get a message that says what is wrong in general, the log gets the details.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from qa.errors import RagqaError

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    503: "unavailable",
}

# What a client is told of a server-side error, by code; the full message goes to the log.
_PUBLIC = {
    "index_unavailable": "the index is not loaded on this server; the operator can find why in the server log",
    "model_mismatch": "the index was built with another model than this server loads; see the server log",
    "model_not_found": "the embedding model is not installed on this server; see the server log",
    "feedback_unavailable": "feedback cannot be stored right now; the problem has been logged",
    "feedback_full": "feedback storage is full, so nothing more is stored for now; the operator has been told",
}


def public_message(exc: RagqaError) -> str:
    """The message a client may see: its own for client errors, a general one for server errors."""
    if exc.status < 500:
        return exc.message
    log.error("%s (%s) on %s %s: %s", exc.code, exc.status, request.method, request.path, exc.message)
    return _PUBLIC.get(exc.code, "something went wrong on the server; it has been logged")


def _text(message: str) -> str:
    # Input echoed in a message may hold a lone surrogate, which cannot be encoded in a response.
    return message.encode("utf-8", "backslashreplace").decode("utf-8")


# OpenAI's error `type` by status, for the OpenAI-compatible endpoint (/v1/): its clients branch on it.
_OPENAI_TYPES = {401: "authentication_error", 403: "permission_error", 404: "not_found_error", 429: "rate_limit_error"}


def error_response(status: int, code: str, message: str):
    message = _text(message)
    if request.path.startswith("/v1/"):
        kind = _OPENAI_TYPES.get(status, "invalid_request_error" if status < 500 else "server_error")
        response = jsonify({"error": {"message": message, "type": kind, "param": None, "code": code}})
        response.status_code = status
        return response
    if request.path.startswith("/api/") or request.path in ("/healthz", "/readyz", "/openapi.json", "/metrics"):
        response = jsonify({"error": {"code": code, "message": message}})
        response.status_code = status
        return response
    from web.chat import page_language

    return render_template("error.html", status=status, message=message, lang=page_language()), status


def ragqa_response(exc: RagqaError) -> Response:
    """The response to a RagqaError (a handler that counts one kind first hands it on to this)."""
    response = current_app.make_response(error_response(exc.status, exc.code, public_message(exc)))
    if exc.retry_after is not None:  # overload: tell the client when to come back
        response.headers["Retry-After"] = str(exc.retry_after)
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="ragqa"'
    return response


def init_app(app: Flask) -> None:
    app.register_error_handler(RagqaError, ragqa_response)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        message = {
            413: f"the request body is larger than {app.config['MAX_CONTENT_LENGTH'] // 1024} KB",
            405: f"{request.method} is not allowed here",
            404: "no such page or endpoint",
        }.get(status, exc.description or "request failed")
        response = error_response(status, _HTTP_CODES.get(status, "http_error"), message)
        if status == 405 and hasattr(exc, "valid_methods") and exc.valid_methods:
            response = app.make_response(response)
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "something went wrong on the server; it has been logged")
