"""Feedback as SQuAD-format labels that `ragqa eval` (and `qa.evaluation.datasets.load_dataset`) reads.

What a record vouches for: a thumbs up on an answer makes it the gold answer; a thumbs down with
a correction makes the correction gold; a thumbs up on "no answer found" marks the question
unanswerable. A thumbs down without a correction says only what is wrong, so it is left out, and
so is a thumbs up whose answer is not in the passage kept as its context: a served answer always
is, so such a record was forged (before answers were signed, a thumbs up could vouch for any
text). A correction is the user's own words and need not occur verbatim in a passage.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from qa.feedback.submission import FeedbackRecord


@dataclass
class Export:
    squad: dict[str, Any]
    exported: int = 0
    skipped: list[int] = field(default_factory=list)  # ids of records that name no gold answer
    not_in_passage: list[int] = field(default_factory=list)  # ids whose gold answer is not in their context


def to_squad(records: Iterable[FeedbackRecord]) -> Export:
    """One article per document title, one paragraph per context passage, one question per record."""
    articles: dict[str, dict[str, dict[str, Any]]] = {}
    out = Export({"version": "ragqa-feedback", "data": []})
    for record in records:
        qa = _question(record)
        if qa is None:
            out.skipped.append(record.id)
            continue
        if record.feedback.rating == "up" and qa["answers"] and "answer_start" not in qa["answers"][0]:
            out.not_in_passage.append(record.id)
            continue
        paragraphs = articles.setdefault(record.title, {})
        paragraph = paragraphs.setdefault(record.context_id, {"context": record.context, "qas": []})
        paragraph["qas"].append(qa)
        out.exported += 1
    out.squad["data"] = [
        {"title": title, "paragraphs": list(paragraphs.values())} for title, paragraphs in articles.items()
    ]
    return out


def _question(record: FeedbackRecord) -> dict[str, Any] | None:
    feedback = record.feedback
    qa: dict[str, Any] = {"id": f"feedback-{record.id}", "question": feedback.question}
    gold = feedback.gold
    if gold:
        answer: dict[str, Any] = {"text": gold}
        start = record.context.find(gold)
        if start >= 0:  # a thumbs up without it is left out (Export.not_in_passage)
            answer["answer_start"] = start
        return {**qa, "answers": [answer], "is_impossible": False}
    if feedback.rating == "up" and feedback.answer is None:
        return {**qa, "answers": [], "is_impossible": True}
    return None
