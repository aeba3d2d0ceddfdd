"""The chat page: `GET /`, `GET /?q=...` (a linkable answer) and `POST /` (works without JavaScript)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, render_template, request

from qa.errors import RagqaError
from web import state
from web.i18n import TEXT, best_language
from web.render import HIGH_CONFIDENCE, MEDIUM_CONFIDENCE, confidence_level, highlight_html, icon

bp = Blueprint("chat", __name__)


def page_language() -> str:
    return best_language(list(request.accept_languages), request.args.get("lang"))


@bp.route("/", methods=["GET", "POST"])
def index():
    """Show the chat form, and the answer when a question came with the request."""
    lang = page_language()
    question = request.form.get("question") if request.method == "POST" else request.args.get("q")
    result: dict[str, Any] | None = None
    error: str | None = None
    status = 200
    if question is not None:
        try:
            result = state.get_pipeline().ask(question).to_dict()
        except RagqaError as exc:
            # The library speaks English; the page says the common errors in the page's language.
            error, status = TEXT[lang].get(f"err_{exc.code}", exc.message), exc.status
    ready = state.ready()
    return render_template(
        "chat.html",
        lang=lang,
        t=TEXT[lang],
        t_json=json.dumps(TEXT[lang], ensure_ascii=False),
        question=question or "",
        result=result,
        error=error,
        ready=ready,
        highlight=highlight_html,
        confidence=confidence_level,
        bands=f"{HIGH_CONFIDENCE},{MEDIUM_CONFIDENCE}",
        icon=icon,
        feedback_saved=request.args.get("feedback") == "saved",
    ), status
