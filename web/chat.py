"""The chat page: `GET /`, `GET /?q=...` (a linkable answer) and `POST /` (works without JavaScript).

Questions asked here take the same admission slot as `/api/ask` (`web.state.ask`): a full queue
is a readable 429 page with Retry-After, not one more answer computed at once.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, render_template, request, url_for

from qa.errors import RagqaError
from web import state
from web.access import page_token
from web.errors import public_message
from web.i18n import TEXT, best_language
from web.render import HIGH_CONFIDENCE, MEDIUM_CONFIDENCE, confidence_level, highlight_html, icon, snippet

bp = Blueprint("chat", __name__)


def _rated_question(reference: str | None) -> str | None:
    """The question of the feedback record this browser just sent (`web.feedback`), to show it again."""
    if not reference:
        return None
    try:
        current = state.state()
        record_id = current.signer().record_id(reference)
        return None if record_id is None else current.feedback.question(record_id)
    except RagqaError:  # the thanks still shows; the answer is one question away
        return None


def context_href(passage: dict[str, Any], answer: dict[str, Any] | None, lang: str) -> str:
    """Where "Show in document" leads (static/chat.js's contextHref): the page itself where the source
    has one, the passage in the text otherwise; with the answer's offsets in the answer's passage."""
    span = {"start": answer["start"], "end": answer["end"]} if answer and answer["passage_id"] == passage["id"] else {}
    href = url_for("context.show", passage=passage["id"], lang=lang, **span)
    return href if passage.get("boxes") else href + "#cited"


def page_language() -> str:
    return best_language(list(request.accept_languages), request.args.get("lang"))


@bp.route("/", methods=["GET", "POST"])
def index():
    """Show the chat form, and the answer when a question came with the request."""
    lang = page_language()
    question = request.form.get("question") if request.method == "POST" else request.args.get("q")
    if question is None and request.method == "GET":
        question = _rated_question(request.args.get("rated"))
    result: dict[str, Any] | None = None
    error: str | None = None
    status = 200
    headers: dict[str, str] = {}
    if question is not None:
        try:
            result = state.served(state.ask(question))
        except RagqaError as exc:
            # The library speaks English; the page says the common errors in the page's language.
            error, status = TEXT[lang].get(f"err_{exc.code}", public_message(exc)), exc.status
            if exc.retry_after is not None:
                headers["Retry-After"] = str(exc.retry_after)
    ready = state.ready()
    token = page_token()
    if token is not None:  # a copy kept by a cache would carry the token past its expiry
        headers["Cache-Control"] = "no-store"
    page = render_template(
        "chat.html",
        lang=lang,
        t=TEXT[lang],
        t_json=json.dumps(TEXT[lang], ensure_ascii=False),
        question=question or "",
        result=result,
        error=error,
        ready=ready,
        highlight=highlight_html,
        snippet=snippet,
        context_href=lambda passage, answer: context_href(passage, answer, lang),
        confidence=confidence_level,
        bands=f"{HIGH_CONFIDENCE},{MEDIUM_CONFIDENCE}",
        icon=icon,
        feedback_saved=request.args.get("feedback") == "saved",
        page_token=token,
    )
    return page, status, headers
