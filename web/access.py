"""Optional access control for servers of private documents: API keys, and the page off by default.

With no keys configured (RAGQA_API_KEYS, RAGQA_API_KEYS_FILE) everything is open, as before. With
keys, every `/api/` call needs `Authorization: Bearer <key>` (401 JSON otherwise), and the page
(`/`, `/feedback`, `/context`) is closed (403) unless RAGQA_OPEN_PAGE=1 opens it without a login;
then the page's own script may call the API without a key (its requests are same-origin, which a
browser does not let another site claim). Health checks and the OpenAPI document stay open.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from pathlib import Path

from flask import Flask, current_app, request

from qa.errors import RagqaError

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/openapi.json"})


class Unauthorized(RagqaError):
    status = 401
    code = "unauthorized"


class PageClosed(RagqaError):
    status = 403
    code = "forbidden"


def read_keys(listed: str | None, file: str | None) -> tuple[str, ...]:
    """Keys from a comma- or space-separated list and from a file of one key a line (# comments)."""
    keys = (listed or "").replace(",", " ").split()
    if file:
        try:
            lines = Path(file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise RagqaError(f"cannot read the API keys file RAGQA_API_KEYS_FILE ({exc})") from exc
        keys += [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return tuple(dict.fromkeys(keys))


def valid_key(sent: str, keys: Iterable[str]) -> bool:
    # Every key is compared, each in constant time, so the timing says nothing about which is close.
    found = False
    for key in keys:
        found |= hmac.compare_digest(sent.encode("utf-8", "surrogateescape"), key.encode("utf-8"))
    return found


def _bearer() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _check() -> None:
    keys: tuple[str, ...] = current_app.config["RAGQA_API_KEYS"]
    path = request.path
    if not keys or path in OPEN_PATHS or path.startswith("/static/"):
        return
    page_open = bool(current_app.config["RAGQA_OPEN_PAGE"])
    if not path.startswith("/api/"):
        if not page_open:
            raise PageClosed("this server answers through its API only (send an API key); the page is off")
        return
    if page_open and request.headers.get("Sec-Fetch-Site") == "same-origin":
        return
    sent = _bearer()
    if sent is None:
        raise Unauthorized("send an API key: Authorization: Bearer <key>")
    if not valid_key(sent, keys):
        raise Unauthorized("the API key is not valid")


def init_app(app: Flask) -> None:
    app.before_request(_check)
