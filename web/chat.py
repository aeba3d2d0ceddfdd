"""The chat page: `GET /`, `GET /?q=...` (a linkable answer) and `POST /` (works without JavaScript).

Questions asked here take the same admission slot as `/api/ask` (`web.state.ask`): a full queue
is a readable 429 page with Retry-After, not one more answer computed at once.
"""

from __future__ import annotations

import json
import weakref
from collections import Counter
from collections.abc import Sequence
from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for
from flask.blueprints import BlueprintSetupState

from qa.config import Settings
from qa.errors import RagqaError
from qa.ingest.passages import Passage
from web import state
from web.access import page_token
from web.errors import public_message
from web.i18n import TEXT, best_language
from web.render import HIGH_CONFIDENCE, MEDIUM_CONFIDENCE, confidence_level, highlight_html, icon, snippet

bp = Blueprint("chat", __name__)

# The question the shipped page answers, offered only where a passage holds its answer: over
# another collection it would ask about something that is not there.
DEMO_QUESTION = "福建三峡海上风电国际产业园占地多少亩？"
DEMO_ANSWERED_BY = ("福建三峡海上风电国际产业园", "占地1000亩")
TITLE_CHARS = 40
EXAMPLES = "ragqa.chat.examples"
# The collection picker's label (static/chat.js shows the picker when several collections are open to this page).
COLLECTION_LABEL = {"zh": "文档集合", "en": "Collection"}


@bp.record_once
def _configure(setup: BlueprintSetupState) -> None:
    # An app's own config (tests, an embedding app) wins over the environment.
    setup.app.config.setdefault("RAGQA_EXAMPLE_QUESTION", Settings.from_env().example_question)
    # Each loaded version's example, drawn once; dropped with the version when a reload replaces it.
    setup.app.extensions[EXAMPLES] = weakref.WeakKeyDictionary()


def drawn_example(passages: Sequence[Passage]) -> tuple[str, str] | None:
    """The collection's own example as (UI string key, text): the demo question where the collection
    answers it, else the title of the document with the most passages (the first of equals); None
    for a collection without titles. Nothing is made up: a title is all a collection is known to be about."""
    if any(all(part in p.text for part in DEMO_ANSWERED_BY) for p in passages):
        return "placeholder_question", DEMO_QUESTION
    titles = {p.doc: " ".join(p.title.split()) for p in passages}
    counts = Counter(p.doc for p in passages if titles[p.doc])
    if not counts:
        return None
    title = titles[max(counts, key=counts.__getitem__)]
    return "placeholder_topic", title if len(title) <= TITLE_CHARS else title[: TITLE_CHARS - 1].rstrip() + "…"


def placeholder(lang: str) -> str:
    """The question box's hint: the configured example question, else one drawn from the collection
    serving now, else (nothing serves) a neutral one."""
    t = TEXT[lang]
    configured = current_app.config.get("RAGQA_EXAMPLE_QUESTION")
    if configured:
        return t["placeholder_question"].format(question=configured)
    try:
        pipeline = state.get_pipeline()
    except RagqaError:
        return t["placeholder"]
    examples = current_app.extensions[EXAMPLES]
    example = examples.get(pipeline)
    if example is None:
        example = examples[pipeline] = drawn_example(pipeline.passages) or ("placeholder", "")
    key, text = example
    return t[key].format(question=text, title=text)


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


def context_href(
    passage: dict[str, Any], answer: dict[str, Any] | None, lang: str, collection: str | None = None
) -> str:
    """Where "Show in document" leads (static/chat.js's contextHref): the page itself where the source
    has one, the passage in the text otherwise; with the answer's offsets in the answer's passage."""
    span: dict[str, Any] = (
        {"start": answer["start"], "end": answer["end"]} if answer and answer["passage_id"] == passage["id"] else {}
    )
    if collection and collection != "default":
        span["collection"] = collection
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
            # The collection picked on the page (static/chat.js) or named in a link; none: the default one.
            collection = request.values.get("collection") or None
            result = {**state.served(state.ask(question, collection=collection)), "collection": collection}
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
        placeholder=placeholder(lang),
        question=question or "",
        result=result,
        error=error,
        ready=ready,
        highlight=highlight_html,
        snippet=snippet,
        context_href=lambda passage, answer: context_href(passage, answer, lang, (result or {}).get("collection")),
        confidence=confidence_level,
        bands=f"{HIGH_CONFIDENCE},{MEDIUM_CONFIDENCE}",
        icon=icon,
        feedback_saved=request.args.get("feedback") == "saved",
        page_token=token,
        collection_label=COLLECTION_LABEL[lang],
    )
    return page, status, headers
