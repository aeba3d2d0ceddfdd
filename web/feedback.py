"""Answer feedback: `POST /api/feedback` (JSON, from the page's script) and `POST /feedback` (a plain form).

Feedback is kept in RAGQA_FEEDBACK_DB (default from the environment, else instance/feedback.sqlite3).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, jsonify, redirect, request, url_for

from qa.feedback.store import FeedbackStore
from qa.feedback.submission import FeedbackRecord, check_feedback, choose_context
from qa.ingest.passages import Passage
from web import state
from web.api import json_body

bp = Blueprint("feedback", __name__)


@bp.post("/api/feedback")
def submit_json():
    """Store a thumbs up/down on one answer, with an optional corrected answer."""
    record = _store(json_body("feedback"))
    return jsonify({"id": record.id, "rating": record.feedback.rating, "context_id": record.context_id}), 201


@bp.post("/feedback")
def submit_form():
    """The same, from the form under each answer when the page runs without JavaScript."""
    form = request.form
    body = {
        "question": form.get("question"),
        "rating": form.get("rating"),
        "answer": form.get("answer") or None,
        "passage_id": form.get("passage_id") or None,
        # The correction box is part of every form; with a thumbs up whatever it holds is not sent on.
        "correction": (form.get("correction") or None) if form.get("rating") == "down" else None,
        "passages": form.getlist("passages"),
    }
    record = _store(body)
    # Post/redirect/get: the answer is shown again, with the thanks, and a reload does not resubmit.
    lang = form.get("lang") if form.get("lang") in ("zh", "en") else None
    return redirect(url_for("chat.index", q=record.feedback.question, lang=lang, feedback="saved"), code=303)


def _store(body: Any) -> FeedbackRecord:
    feedback = check_feedback(body)
    context = choose_context(feedback, _passage_lookup())
    return FeedbackStore(current_app.config["RAGQA_FEEDBACK_DB"]).add(feedback, context)


def _passage_lookup() -> Callable[[str], Passage | None]:
    pipeline = state.get_pipeline()
    return lambda passage_id: state.state().passage(pipeline, passage_id)
