"""A request id on every response (`X-Request-Id`), for matching a client's report to the server's log.

An id the client or a proxy in front sent is kept when it is well formed (letters, digits and
`._:-`, at most 128), so one id follows a request through nginx, ragqa and the client's own log;
anything else is replaced by a fresh one rather than echoed into headers and log lines. The access
log (`web.access_log`, one JSON line per request under `ragqa serve`) carries the same id.
"""

from __future__ import annotations

import re
import uuid

from flask import Blueprint, Response, g, has_request_context, request

HEADER = "X-Request-Id"
_WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{1,128}")

bp = Blueprint("request_id", __name__)


def current() -> str:
    """This request's id: the one sent, when well formed, else one made now (the same for the whole request)."""
    made: str | None = g.get("request_id")
    if made is None:
        sent = request.headers.get(HEADER, "")
        made = g.request_id = sent if _WELL_FORMED.fullmatch(sent) else uuid.uuid4().hex
    return made


def for_log() -> str:
    """The id for a log line: this request's, or "-" outside one (start-up, reloads)."""
    return current() if has_request_context() else "-"


@bp.after_app_request
def _tag(response: Response) -> Response:
    # An after-request hook runs for error responses too (a 401 refused before any view), so every response has one.
    response.headers[HEADER] = current()
    return response
