"""Optional access control for servers of private documents: API keys with roles per collection, and the
page off by default.

With no keys configured (RAGQA_API_KEYS, RAGQA_API_KEYS_FILE) everything is open, as before. With
keys, every `/api/` and `/v1/` call and `/metrics` needs `Authorization: Bearer <key>` (401 JSON
otherwise), and the page (`/`, `/feedback`, `/context`) is closed (403) unless RAGQA_OPEN_PAGE=1
opens it without a login.

A key file line is `KEY [read|write [a,b|*]]`: a key alone may read and write every collection (what
a key meant before collections); `KEY read` reads every collection; `KEY write a,b` reads and writes
collections a and b only. A key that may not read a collection is told it does not exist (404), so
existence does not leak; a key that may read but not write it gets 403. The routes say what they
need with `require(name, write=...)` and list with `visible(names)`.

An open page carries a page token that its script sends back in the X-Ragqa-Page header; that
token, not a browser header a client can set, lets it ask and send feedback without a key. It
gives no more than the open page gives anyone, for PAGE_TOKEN_SECONDS: reading the default
collection, and those RAGQA_PAGE_COLLECTIONS names. Health checks, the OpenAPI document and the
admin page's shell (whose script asks for a key) stay open.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app, g, request

from qa.errors import RagqaError

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/openapi.json", "/admin"})
KEYED_PREFIXES = ("/api/", "/v1/")
KEYED_PATHS = frozenset({"/metrics"})
# What the page's script calls; /api/status is not among them. Listing shows only the page's collections.
PAGE_API = frozenset({"/api/ask", "/api/feedback", "/api/collections"})
PAGE_HEADER = "X-Ragqa-Page"
PAGE_TOKEN_SECONDS = 12 * 3600
CLOCK_SKEW = 60  # seconds a token may seem to come from the future (workers on other hosts behind one proxy)

DEFAULT_COLLECTION = "default"
READ, WRITE = "read", "write"
EVERY = "*"
COLLECTION_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_RING = "ragqa.keyring"
_GRANT = "ragqa_grant"


class Unauthorized(RagqaError):
    status = 401
    code = "unauthorized"


class Forbidden(RagqaError):
    status = 403
    code = "forbidden"


class PageClosed(Forbidden):
    pass


class CollectionNotFound(RagqaError):
    """No such collection, or none this key may read: the two answer alike."""

    status = 404
    code = "not_found"

    def __init__(self, name: str) -> None:
        super().__init__(f"no collection named {name}")
        self.name = name


@dataclass(frozen=True)
class Grant:
    """What one request may do: its role on its collections (None: every collection)."""

    role: str
    collections: frozenset[str] | None

    def can_read(self, name: str) -> bool:
        return self.collections is None or name in self.collections

    def can_write(self, name: str) -> bool:
        return self.role == WRITE and self.can_read(name)


EVERYTHING = Grant(WRITE, None)
NOTHING = Grant(READ, frozenset())


def collections_of(text: str, where: str) -> frozenset[str] | None:
    """`a,b` as a set of names, `*` as None (every collection); a bad name is an error naming `where`."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if EVERY in names:
        return None
    for name in names:
        if not COLLECTION_NAME.fullmatch(name):
            raise RagqaError(f"{where}: {name!r} is not a collection name (a-z, 0-9, _ and -, up to 64) or *")
    return frozenset(names)


def parse_line(line: str, where: str) -> tuple[str, Grant]:
    """(key, grant) of one `KEY [read|write [a,b|*]]` line; errors name `where`, never the key."""
    fields = line.split()
    if not 1 <= len(fields) <= 3:
        raise RagqaError(f"{where}: a key line is KEY [read|write [a,b|*]], with no spaces in the names")
    if len(fields) == 1:
        return fields[0], EVERYTHING
    role = fields[1].lower()
    if role not in (READ, WRITE):
        raise RagqaError(f"{where}: the role is read or write, not {fields[1]!r}")
    return fields[0], Grant(role, collections_of(fields[2], where) if len(fields) == 3 else None)


class KeyRing:
    """The configured keys and what each opens, parsed once from the config's key lines."""

    def __init__(self, lines: Iterable[str]) -> None:
        self.grants: dict[str, Grant] = {}
        for n, line in enumerate(lines, 1):
            key, grant = parse_line(line, f"API key {n}")
            if self.grants.get(key, grant) != grant:
                raise RagqaError(f"API key {n} is listed twice with different roles; keep one line per key")
            self.grants[key] = grant

    def __bool__(self) -> bool:
        return bool(self.grants)

    def grant(self, sent: str) -> Grant | None:
        """The grant of the key sent, None for no key of ours."""
        # Every key is compared, each in constant time, so the timing says nothing about which is close.
        found: Grant | None = None
        for key, grant in self.grants.items():
            if hmac.compare_digest(_bytes(sent), _bytes(key)):
                found = grant
        return found


def read_keys(listed: str | None, file: str | None) -> tuple[str, ...]:
    """Key lines from a comma- or space-separated list of keys (each opening everything) and from a
    file of one `KEY [read|write [a,b|*]]` a line (# comments); a bad line is an error at start."""
    lines = (listed or "").replace(",", " ").split()
    if file:
        try:
            text = Path(file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RagqaError(f"cannot read the API keys file RAGQA_API_KEYS_FILE ({exc})") from exc
        for n, raw in enumerate(text.split("\n"), 1):
            if raw.strip() and not raw.lstrip().startswith("#"):
                parse_line(raw, f"RAGQA_API_KEYS_FILE line {n}")
                lines.append(" ".join(raw.split()))
    lines = list(dict.fromkeys(lines))
    KeyRing(lines)  # two lines giving one key different roles fail here, at start
    return tuple(lines)


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


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


def key_ring() -> KeyRing:
    """This app's keys, parsed once (again only if the config's key lines change)."""
    lines = tuple(current_app.config["RAGQA_API_KEYS"])
    cached = current_app.extensions.get(_RING)
    if cached is None or cached[0] != lines:
        cached = current_app.extensions[_RING] = (lines, KeyRing(lines))
    ring: KeyRing = cached[1]
    return ring


def page_grant() -> Grant:
    """What the open page gives anyone: reading the default collection and RAGQA_PAGE_COLLECTIONS."""
    extra = current_app.config.get("RAGQA_PAGE_COLLECTIONS") or ()
    if EVERY in extra:
        return Grant(READ, None)
    return Grant(READ, frozenset({DEFAULT_COLLECTION, *extra}))


def _bearer() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _keyed(path: str) -> bool:
    return path.startswith(KEYED_PREFIXES) or path in KEYED_PATHS


def _grant() -> Grant:
    """What this request may do, or the 401/403 for one that may do nothing."""
    ring = key_ring()
    path = request.path
    if not ring:
        return EVERYTHING
    if path in OPEN_PATHS or path.startswith("/static/"):
        return NOTHING
    page_open = bool(current_app.config["RAGQA_OPEN_PAGE"])
    if not _keyed(path):
        if not page_open:
            raise PageClosed("this server answers through its API only (send an API key); the page is off")
        return page_grant()
    sent = _bearer()
    from_page = request.headers.get(PAGE_HEADER)
    if sent is None and from_page is not None and page_open and path in PAGE_API:
        if valid_page_token(from_page, current_app.config["RAGQA_API_KEYS"]):
            return page_grant()
        raise Unauthorized("this page has expired; reload it to go on")
    if sent is None:
        raise Unauthorized("send an API key: Authorization: Bearer <key>")
    grant = ring.grant(sent)
    if grant is None:
        raise Unauthorized("the API key is not valid")
    return grant


def _check() -> None:
    setattr(g, _GRANT, _grant())


def current_grant() -> Grant:
    """What the request being served may do (its key's grant, the page's, or everything without keys)."""
    grant = g.get(_GRANT)
    if grant is None:  # a request that skipped the check (an error handler, a test request context)
        try:
            grant = _grant()
        except RagqaError:
            grant = NOTHING
    return grant


def require(name: str, write: bool = False) -> Grant:
    """Refuse the request unless it may read (write: change) collection `name`: 404 when it may not
    read it (as for a collection that does not exist), 403 when it may read but not change it."""
    grant = current_grant()
    if not grant.can_read(name):
        raise CollectionNotFound(name)
    if write and not grant.can_write(name):
        raise Forbidden(f"this key may read collection {name} but not change it; use a write key")
    return grant


def require_create(name: str) -> Grant:
    """Refuse creating collection `name` unless the request holds a write key on `*` or on that name (403)."""
    grant = current_grant()
    if not grant.can_write(name):
        raise Forbidden(f"creating collection {name} needs a write key for it (or for *)")
    return grant


def visible(names: Iterable[str]) -> list[str]:
    """The names among `names` the request may read, in their order."""
    grant = current_grant()
    return [name for name in names if grant.can_read(name)]


def init_app(app: Flask) -> None:
    # An app's own config (tests, an embedding app) wins over the environment.
    listed = os.environ.get("RAGQA_PAGE_COLLECTIONS", "")
    if "RAGQA_PAGE_COLLECTIONS" not in app.config:
        names = collections_of(listed, "RAGQA_PAGE_COLLECTIONS")
        app.config["RAGQA_PAGE_COLLECTIONS"] = (EVERY,) if names is None else tuple(sorted(names))
    app.before_request(_check)
