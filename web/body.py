"""A request body is read whole, or refused with 413 when it is over MAX_CONTENT_LENGTH, however it is sent.

werkzeug refuses a declared Content-Length over the limit before reading. A chunked body declares
none: werkzeug then reads it through a stream capped at the limit, and that stream stops quietly
at the cap instead of raising. A view would see the first 16 KB of a bigger body: a 400
`invalid_json` for JSON cut in two, or a form missing its last fields, where the client should be
told 413 `body_too_large`.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import RequestEntityTooLarge


def _chunked() -> bool:
    return request.content_length is None and "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def _whole_or_too_large() -> None:
    limit = request.max_content_length
    if limit is None or not _chunked():
        return
    body = request.get_data(cache=True)  # at most `limit` bytes; kept for the view's get_json or form
    # A byte beyond the cap, read from the server's own stream, means the body was cut.
    if len(body) >= limit and request.input_stream.read(1):
        raise RequestEntityTooLarge()


def init_app(app: Flask) -> None:
    app.before_request(_whole_or_too_large)
