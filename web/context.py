"""A passage in its document: `GET /context?passage=<id>[&start=&end=]` shows where the passage stands.

For a PDF or a scan whose file is still where it was indexed from, that is the page itself
(`GET /context/page`, drawn by `qa.ingest.page_view`) with the passage and the answer (its
`start`/`end` offsets in the passage text) boxed; below it, and for every other kind, the
document's text with the passage marked and the answer highlighted, under the headings it stands under.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Blueprint, Response, render_template, request

from qa.errors import BadRequest, RagqaError
from qa.ingest.documents import Box
from qa.ingest.page_view import PageSize, PageUnavailable
from qa.ingest.passages import Passage
from web import source_pages, state
from web.chat import page_language
from web.i18n import TEXT

if TYPE_CHECKING:
    from qa.pipeline import Pipeline

bp = Blueprint("context", __name__)


@dataclass
class PageShown:
    """What the page view draws: the picture's address, its size in points, and the boxes on it."""

    src: str
    size: PageSize
    passage: list[Box]
    answer: list[Box]


@bp.get("/context")
def show():
    """Show the cited passage in its document: its page with the answer boxed, and the document's text."""
    pipeline = _pipeline()
    cited = _cited(pipeline.passages)
    start, end = _span(cited)
    document = [p for p in pipeline.passages if p.doc == cited.doc]
    lang = page_language()
    text = cited.text
    return render_template(
        "context.html",
        lang=lang,
        t=TEXT[lang],
        cited=cited,
        document=document,
        before=text[:start] if end else text,
        answer=text[start:end] if end else "",
        after=text[end:] if end else "",
        shown=_page_shown(pipeline, cited, start, end),
        question=request.args.get("q", ""),
    )


@bp.get("/context/page")
def page_picture():
    """The PNG of the cited passage's page (PDFs and scans that are still where they were indexed from)."""
    pipeline = _pipeline()
    cited = _cited(pipeline.passages)
    try:
        picture = source_pages.picture(pipeline, cited)
    except PageUnavailable as exc:
        raise RagqaError(f"the page cannot be shown: {exc}", code="page_unavailable", status=404) from None
    response = Response(picture.png, mimetype="image/png")
    # The address names the index version, so a cached picture is never one of another build's file.
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


def _pipeline() -> Pipeline:
    """The pipeline of the collection the link names (`?collection=`; none: the default one), if this
    request may read it (404 otherwise, as for one that does not exist)."""
    name = state.collection_name(request.args.get("collection") or None)
    state.check_access(name)
    return state.get_pipeline(name)


def _cited(passages: list[Passage]) -> Passage:
    wanted = request.args.get("passage", "")
    cited = next((p for p in passages if p.id == wanted), None)
    if cited is None:
        raise RagqaError(
            "no such passage in the index; it may have been rebuilt since the answer was shown",
            code="not_found",
            status=404,
        )
    return cited


def _span(cited: Passage) -> tuple[int, int]:
    """The answer's offsets in the passage text from `start`/`end`, or (0, 0) when none was given."""
    given = request.args.get("start"), request.args.get("end")
    if given == (None, None):
        return 0, 0
    try:
        start, end = int(given[0] or ""), int(given[1] or "")
    except ValueError:
        raise BadRequest("start and end must both be whole numbers (offsets in the passage text)") from None
    if not 0 <= start < end <= len(cited.text):
        raise BadRequest(f"start and end must lie within the passage's {len(cited.text)} characters, start before end")
    return start, end


def _page_shown(pipeline: Pipeline, cited: Passage, start: int, end: int) -> PageShown | None:
    """The page view, for a passage with boxes whose file is still at hand; None shows the text only."""
    passage_boxes = cited.rectangles()
    if not passage_boxes or cited.page is None:
        return None
    try:
        size = source_pages.size(pipeline, cited)
    except PageUnavailable:
        return None  # the text below still shows it; the picture needs the file where it was indexed from
    src = f"/context/page?passage={_quote(cited.id)}&v={_quote(pipeline.version or '')}"
    collection = request.args.get("collection")
    if collection:
        src += f"&collection={_quote(collection)}"
    return PageShown(src, size, passage_boxes, (cited.rectangles(start, end) or []) if end else [])


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")
