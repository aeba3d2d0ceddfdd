"""Refuse requests that another site's page makes a visitor's browser send.

A form on any site can post to this one (feedback that becomes training data, questions that
take the answer slot), and an `<img>` can fire `GET /?q=`. Browsers say where a request comes
from: `Sec-Fetch-Site` (every current browser), else `Origin` on a POST. The check is the one
Go's `http.CrossOriginProtection` makes: a state-changing request is refused when either names
another site; requests with neither header come from scripts and tools, not from a visited page,
and are let through (the API keys of `web.access` guard those). Safe methods pass, except that a
question on the page (`GET /?q=`) from another site must be a top-level navigation: following a
link works, an embedded image does not.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request

from qa.errors import RagqaError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
SAME = frozenset({"same-origin", "none"})  # none: typed in the address bar, a bookmark


class CrossSite(RagqaError):
    status = 403
    code = "cross_site_request"


def is_cross_site() -> bool:
    """Whether the browser says this request was made by a page of another site."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site not in SAME
    origin = request.headers.get("Origin")
    if origin is None:
        return False
    # "null" (a sandboxed frame, a data: URL) is no origin of this server's either.
    return urlsplit(origin).netloc.lower() != request.host.lower()


def _embedded_question() -> bool:
    """`GET /?q=` from another site's page, other than the user following a link to it."""
    headers = request.headers
    followed = headers.get("Sec-Fetch-Mode") == "navigate" and headers.get("Sec-Fetch-Dest") in (None, "document")
    asks = "q" in request.args or "rated" in request.args
    return request.path == "/" and asks and not followed and is_cross_site()


def init_app(app: Flask) -> None:
    @app.before_request
    def _refuse_cross_site() -> None:
        if request.method not in SAFE_METHODS and is_cross_site():
            raise CrossSite("refused: this request came from another site's page; use this site's own form")
        if request.method in SAFE_METHODS and _embedded_question():
            raise CrossSite("refused: another site's page asked a question here; open the link instead")
