"""Answer feedback: `POST /api/feedback` (JSON, from the page's script) and `POST /feedback` (a plain form)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, redirect, request, url_for

from qa.config import Settings
from qa.feedback import FeedbackRecord, check_feedback, choose_context
from qa.feedback_store import FeedbackStore
from qa.passages import Passage
from web.api import get_pipeline, json_body

bp = Blueprint("feedback", __name__)


def init_app(app: Flask) -> None:
    """Keep feedback in RAGQA_FEEDBACK_DB (default from the environment, else instance/feedback.sqlite3)."""
    app.config.setdefault("RAGQA_FEEDBACK_DB", Settings.from_env().feedback_db)
    app.register_blueprint(bp)


@bp.post("/api/feedback")
def submit_json():  # type: ignore[no-untyped-def]
    """Store a thumbs up/down on one answer, with an optional corrected answer."""
    record = _store(json_body("feedback"))
    return jsonify({"id": record.id, "rating": record.feedback.rating, "context_id": record.context_id}), 201


@bp.post("/feedback")
def submit_form():  # type: ignore[no-untyped-def]
    """The same, from the form under each answer when the page runs without JavaScript."""
    form = request.form
    body = {
        "question": form.get("question"), "rating": form.get("rating"), "answer": form.get("answer") or None,
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


def _passage_lookup() -> Any:
    pipeline = get_pipeline()
    state = current_app.extensions["ragqa"]
    if state.get("passages_by_id", (None,))[0] is not pipeline:  # built once per loaded pipeline
        state["passages_by_id"] = (pipeline, {p.id: p for p in pipeline.passages})
    by_id: dict[str, Passage] = state["passages_by_id"][1]
    return by_id.get
