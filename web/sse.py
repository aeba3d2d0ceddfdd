"""Server-sent events: one event as the wire carries it, and the response that streams them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from flask import Response, stream_with_context

# nginx would hold the events back until the response ends; caches must not keep them.
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def event(data: Any, name: str | None = None) -> str:
    """One event: its JSON on one `data:` line (JSON never holds a raw newline), named if `name` is given."""
    head = f"event: {name}\n" if name else ""
    return f"{head}data: {json.dumps(data, ensure_ascii=False, separators=(',', ':'))}\n\n"


def response(events: Iterator[str], on_close: Callable[[], None] | None = None) -> Response:
    """A streamed `text/event-stream` response; `on_close` runs when it ends, however it ends (the client
    may go away before the first event, when the generator never starts and its own cleanup never runs)."""
    streamed = Response(stream_with_context(events), mimetype="text/event-stream", headers=HEADERS)
    if on_close is not None:
        streamed.call_on_close(on_close)
    return streamed
