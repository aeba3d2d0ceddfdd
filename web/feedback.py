"""Answer feedback: `POST /api/feedback` (JSON, from the page's script) and `POST /feedback` (a plain form).

Feedback is kept in RAGQA_FEEDBACK_DB (default from the environment, else instance/feedback.sqlite3).
It becomes training data (`ragqa feedback export`), so a submission must carry the token the
server gave with the answer (`web.state.served`): feedback can only be about an answer that was
served, as it was served, and each token is one record (sent again, it replaces the verdict).
Each client may store RAGQA_FEEDBACK_LIMIT records per RAGQA_FEEDBACK_WINDOW seconds, and the
database stops at RAGQA_FEEDBACK_MAX_MB. A worker stores 2 submissions at once, with 2 more waiting
up to 1 s (app settings RAGQA_FEEDBACK_SLOTS, _QUEUE_DEPTH, _QUEUE_WAIT; `web.state`), and waits
1.5 s at most for a locked database: beyond that, 503 with Retry-After. Cross-site posts are
refused before they get here (`web.crosssite`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, jsonify, redirect, request, url_for

from qa.errors import RagqaError
from qa.feedback.store import Limit
from qa.feedback.submission import FeedbackRecord, check_feedback, choose_context
from qa.ingest.passages import Passage
from web import state
from web.api import json_body

bp = Blueprint("feedback", __name__)


class NotServed(RagqaError):
    status = 403
    code = "not_served"


@bp.post("/api/feedback")
def submit_json():
    """Store a thumbs up/down on one answer, with an optional corrected answer; again on it replaces the first."""
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
        "token": form.get("token"),
        "collection": form.get("collection") or None,
    }
    record = _store(body)
    # Post/redirect/get: a reload does not resubmit, and the page shows the answer again with the
    # thanks. The question stays out of the URL (percent-encoded, a long Chinese question outgrows a
    # server's request line: a 414 after the save); a signed reference to the record stands for it.
    lang = form.get("lang") if form.get("lang") in ("zh", "en") else None
    rated = state.state().signer().sign_record(record.id)
    return redirect(url_for("chat.index", lang=lang, feedback="saved", rated=rated), code=303)


def _store(body: Any) -> FeedbackRecord:
    # The collection that answered (none: the default one): its passages are the ones rated.
    name = state.collection_name(body.pop("collection", None) if isinstance(body, dict) else None)
    state.check_access(name)
    feedback = check_feedback(body)
    served = state.state().signer().verify(feedback, body.get("token"))
    if served is None:
        raise NotServed(
            "this feedback does not match an answer this server gave (question, answer and passages, "
            "with its feedback_token); ask the question again and rate that answer"
        )
    context = choose_context(feedback, _passage_lookup(name))
    config = current_app.config
    limit = Limit(int(config["RAGQA_FEEDBACK_LIMIT"]), float(config["RAGQA_FEEDBACK_WINDOW"]))
    return state.store_feedback(feedback, context, served, limit)


def _passage_lookup(collection: str) -> Callable[[str], Passage | None]:
    pipeline = state.get_pipeline(collection)
    return lambda passage_id: state.state().passage(pipeline, passage_id)
