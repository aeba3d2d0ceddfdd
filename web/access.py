"""Optional access control for servers of private documents: API keys, and the page off by default.

With no keys configured (RAGQA_API_KEYS, RAGQA_API_KEYS_FILE) everything is open, as before. With
keys, every `/api/` call needs `Authorization: Bearer <key>` (401 JSON otherwise), and the page
(`/`, `/feedback`, `/context`) is closed (403) unless RAGQA_OPEN_PAGE=1 opens it without a login.
An open page carries a page token that its script sends back in the X-Ragqa-Page header; that
token, not a browser header a client can set, lets it ask and send feedback without a key. It
gives no more than the open page gives anyone, for PAGE_TOKEN_SECONDS. Health checks and the
OpenAPI document stay open.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable
from pathlib import Path

from flask import Flask, current_app, request

from qa.errors import RagqaError

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/openapi.json"})
PAGE_API = frozenset({"/api/ask", "/api/feedback"})  # what the page's script calls; /api/status is not among them
PAGE_HEADER = "X-Ragqa-Page"
PAGE_TOKEN_SECONDS = 12 * 3600
CLOCK_SKEW = 60  # seconds a token may seem to come from the future (workers on other hosts behind one proxy)


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
            lines = Path(file).read_text(encoding="utf-8").split("\n")
        except (OSError, UnicodeDecodeError) as exc:
            raise RagqaError(f"cannot read the API keys file RAGQA_API_KEYS_FILE ({exc})") from exc
        keys += [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return tuple(dict.fromkeys(keys))


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def valid_key(sent: str, keys: Iterable[str]) -> bool:
    # Every key is compared, each in constant time, so the timing says nothing about which is close.
    found = False
    for key in keys:
        found |= hmac.compare_digest(_bytes(sent), _bytes(key))
    return found


def _page_mac(keys: Iterable[str], issued: int) -> str:
    # The secret comes from the keys: secret already, and the same in every worker (separate
    # processes) without a file to share. New keys end every page token issued under the old ones.
    secret = hmac.new(b"ragqa page token", _bytes("\n".join(sorted(keys))), hashlib.sha256).digest()
    return hmac.new(secret, str(issued).encode("ascii"), hashlib.sha256).hexdigest()


def issue_page_token(keys: Iterable[str], now: float | None = None) -> str:
    """A token for the page's script: its issue time and an HMAC of it."""
    issued = int(time.time() if now is None else now)
    return f"{issued}.{_page_mac(keys, issued)}"


def valid_page_token(token: str, keys: Iterable[str], now: float | None = None) -> bool:
    """Whether token was issued by this server (these keys) less than PAGE_TOKEN_SECONDS ago."""
    issued_text, _, mac = token.partition(".")
    if not (issued_text.isascii() and issued_text.isdigit() and len(issued_text) <= 12):
        return False
    issued = int(issued_text)
    now = time.time() if now is None else now
    if not issued - CLOCK_SKEW <= now < issued + PAGE_TOKEN_SECONDS:
        return False
    return hmac.compare_digest(_bytes(mac), _page_mac(keys, issued).encode("ascii"))


def page_token() -> str | None:
    """The token the page embeds for its script, when keys guard the API and the page is open."""
    keys: tuple[str, ...] = current_app.config["RAGQA_API_KEYS"]
    return issue_page_token(keys) if keys and current_app.config["RAGQA_OPEN_PAGE"] else None


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
    sent = _bearer()
    from_page = request.headers.get(PAGE_HEADER)
    if sent is None and from_page is not None and page_open and path in PAGE_API:
        if valid_page_token(from_page, keys):
            return
        raise Unauthorized("this page has expired; reload it to go on")
    if sent is None:
        raise Unauthorized("send an API key: Authorization: Bearer <key>")
    if not valid_key(sent, keys):
        raise Unauthorized("the API key is not valid")


def init_app(app: Flask) -> None:
    app.before_request(_check)
