"""A conversation's earlier turns, as a client sends them (`/api/ask`'s `history`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from qa.errors import BadRequest

MAX_TURNS = 20  # accepted in a request; only the last one is read
MAX_TEXT = 2000


@dataclass(frozen=True)
class Turn:
    question: str
    answer: str | None = None  # the answer given, None where none was found

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "answer": self.answer}


def check_history(raw: Any) -> list[Turn]:
    """The turns of a request's `history` (oldest first), or a BadRequest saying what is wrong."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise BadRequest("history must be a list of {question, answer} objects, oldest first")
    if len(raw) > MAX_TURNS:
        raise BadRequest(f"history holds at most {MAX_TURNS} turns (got {len(raw)}); send the latest ones")
    turns = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise BadRequest(f"history[{i}] must be an object with a question and an answer")
        question, answer = item.get("question"), item.get("answer")
        if not isinstance(question, str) or not question.strip() or len(question) > MAX_TEXT:
            raise BadRequest(f"history[{i}].question must be a non-empty string of at most {MAX_TEXT} characters")
        if answer is not None and (not isinstance(answer, str) or len(answer) > MAX_TEXT):
            raise BadRequest(f"history[{i}].answer must be a string of at most {MAX_TEXT} characters, or null")
        turns.append(Turn(question.strip(), answer.strip() or None if answer is not None else None))
    return turns
