"""A passage in its document: `GET /context?passage=<id>` shows the whole document, the passage marked."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from qa.errors import RagqaError
from web.chat import page_language
from web.i18n import TEXT
from web.state import get_pipeline

bp = Blueprint("context", __name__)


@bp.get("/context")
def show():
    """Show every passage of the cited passage's document in order, with the cited one marked."""
    wanted = request.args.get("passage", "")
    passages = get_pipeline().passages
    cited = next((p for p in passages if p.id == wanted), None)
    if cited is None:
        raise RagqaError(
            "no such passage in the index; it may have been rebuilt since the answer was shown",
            code="not_found",
            status=404,
        )
    document = [p for p in passages if p.doc == cited.doc]
    lang = page_language()
    return render_template(
        "context.html", lang=lang, t=TEXT[lang], cited=cited, document=document, question=request.args.get("q", "")
    )
