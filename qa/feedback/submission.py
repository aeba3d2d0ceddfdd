"""Answer feedback: a reader's verdict on one answer, checked on entry, kept with the passage it is about.

A submission names the passages it was shown by id; the server resolves them to text when it
stores the record, so the record still makes a labelled example after the index is rebuilt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from qa.errors import BadRequest
from qa.ingest.passages import Passage
from qa.pipeline import MAX_QUESTION_CHARS, MAX_TOP_K, check_question
from qa.text.script import is_unicode

RATINGS = ("up", "down")
MAX_ANSWER_CHARS = MAX_QUESTION_CHARS
MAX_ID_CHARS = 512
# `token` is the signature of the answer as served (qa.feedback.token); the web layer checks it.
FIELDS = frozenset({"question", "rating", "answer", "passage_id", "correction", "passages", "token"})


@dataclass(frozen=True)
class Feedback:
    """A well-formed submission: `passages` are the ids shown, best first; `passage_id` holds the answer."""

    question: str
    rating: str  # up | down
    answer: str | None
    passage_id: str | None
    correction: str | None
    passages: tuple[str, ...]

    @property
    def gold(self) -> str | None:
        """The answer this feedback vouches for: the one shown (up) or the correction (down)."""
        return self.answer if self.rating == "up" else self.correction


@dataclass(frozen=True)
class FeedbackRecord:
    """Feedback as stored: the submission plus the passage that serves as its SQuAD context."""

    id: int
    created_at: str
    feedback: Feedback
    context_id: str
    title: str
    context: str


def check_feedback(body: Any) -> Feedback:
    """Validate a submission as every entry point must; bad input raises BadRequest naming the field."""
    if not isinstance(body, dict):
        raise BadRequest(
            'the body must be a JSON object like {"question": "...", "rating": "up", "passages": ["..."]}',
            code="invalid_body",
        )
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        # A key may hold a lone surrogate, which no response can carry as text: it is shown escaped.
        named = ", ".join(k.encode("utf-8", "backslashreplace").decode("utf-8") for k in unknown)
        raise BadRequest(
            f"unknown field(s) {named}; the fields are {', '.join(sorted(FIELDS))}",
            code="unknown_field",
        )
    question = check_question(body.get("question"))
    rating = body.get("rating")
    if rating not in RATINGS:
        raise BadRequest('\'rating\' must be "up" or "down"', code="invalid_rating")
    answer = _optional_text(body, "answer", MAX_ANSWER_CHARS)
    correction = _optional_text(body, "correction", MAX_ANSWER_CHARS)
    if correction is not None and rating == "up":
        raise BadRequest('a corrected answer goes with a thumbs down (rating "down")', code="invalid_correction")
    passages = body.get("passages")
    if not isinstance(passages, list) or not 1 <= len(passages) <= MAX_TOP_K or not all(_is_id(p) for p in passages):
        raise BadRequest(
            f"'passages' must list the 1 to {MAX_TOP_K} passage ids the answer was shown with", code="invalid_passages"
        )
    passage_id = body.get("passage_id")
    if (passage_id is None) != (answer is None) or (passage_id is not None and passage_id not in passages):
        raise BadRequest(
            "'passage_id' names the passage of 'answer' (one of 'passages'); both are null when no answer was shown",
            code="invalid_passage_id",
        )
    return Feedback(question, rating, answer, passage_id, correction, tuple(passages))


def choose_context(feedback: Feedback, lookup: Callable[[str], Passage | None]) -> Passage:
    """The passage to keep as context: the first shown one (answer's first) that holds the gold answer.

    Raises BadRequest when a passage id is not in the index (it was rebuilt since the answer).
    """
    order = ([feedback.passage_id] if feedback.passage_id else []) + [
        p for p in feedback.passages if p != feedback.passage_id
    ]
    found = []
    for pid in order:
        passage = lookup(pid)
        if passage is None:
            raise BadRequest(
                f"passage '{pid[:80]}' is not in the index; ask the question again", code="unknown_passage"
            )
        found.append(passage)
    gold = feedback.gold
    return next((p for p in found if gold and gold in p.text), found[0])


def _optional_text(body: dict[str, Any], name: str, limit: int) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"'{name}' must be a string or null", code=f"invalid_{name}")
    value = value.strip()
    if len(value) > limit:
        raise BadRequest(f"'{name}' is {len(value)} characters; the limit is {limit}", code=f"invalid_{name}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BadRequest(
            f"'{name}' contains characters that are not valid Unicode text", code=f"invalid_{name}"
        ) from exc
    return value or None


def _is_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_CHARS and is_unicode(value)
