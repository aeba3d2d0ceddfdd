"""Feedback as SQuAD-format labels that `ragqa eval` (and `qa.evaluation.datasets.load_dataset`) reads.

What a record vouches for: a thumbs up on an answer makes it the gold answer; a thumbs up on "no
answer found" marks the question unanswerable. Both are about an answer the server itself served
and signed. A thumbs down with a correction offers the correction as the answer, but the
correction is whatever the client typed: it goes to a set of its own, marked unreviewed, for a
person to check before it is used (`unreviewed`), unless the operator trusts the people who give
feedback (`trust_corrections`). A thumbs down without a correction says only what is wrong, so it
is left out, and so is a thumbs up whose answer is not in the passage kept as its context: a
served answer always is, so such a record was forged (before answers were signed, a thumbs up
could vouch for any text). A correction need not occur verbatim in a passage.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from qa.feedback.submission import FeedbackRecord

VERSION = "ragqa-feedback"
UNREVIEWED_VERSION = "ragqa-feedback-unreviewed"


@dataclass
class Export:
    squad: dict[str, Any]  # the gold labels
    unreviewed: dict[str, Any]  # corrections typed by clients, each marked "unreviewed": true
    exported: int = 0
    held: int = 0  # corrections in `unreviewed`
    skipped: list[int] = field(default_factory=list)  # ids of records that name no gold answer
    not_in_passage: list[int] = field(default_factory=list)  # ids whose gold answer is not in their context


class _Articles:
    """One article per document title, one paragraph per context passage, one question per record."""

    def __init__(self) -> None:
        self._articles: dict[str, dict[str, dict[str, Any]]] = {}

    def add(self, record: FeedbackRecord, qa: dict[str, Any]) -> None:
        paragraphs = self._articles.setdefault(record.title, {})
        paragraph = paragraphs.setdefault(record.context_id, {"context": record.context, "qas": []})
        paragraph["qas"].append(qa)

    def squad(self, version: str) -> dict[str, Any]:
        data = [
            {"title": title, "paragraphs": list(paragraphs.values())} for title, paragraphs in self._articles.items()
        ]
        return {"version": version, "data": data}


def to_squad(records: Iterable[FeedbackRecord], trust_corrections: bool = False) -> Export:
    """The records as gold labels, and the corrections apart unless `trust_corrections`."""
    gold, unreviewed = _Articles(), _Articles()
    out = Export({}, {})
    for record in records:
        qa = _question(record)
        if qa is None:
            out.skipped.append(record.id)
            continue
        if record.feedback.rating == "up" and qa["answers"] and "answer_start" not in qa["answers"][0]:
            out.not_in_passage.append(record.id)
            continue
        if record.feedback.rating == "down" and not trust_corrections:
            unreviewed.add(record, {**qa, "unreviewed": True})
            out.held += 1
            continue
        gold.add(record, qa)
        out.exported += 1
    out.squad = gold.squad(VERSION)
    out.unreviewed = unreviewed.squad(UNREVIEWED_VERSION)
    return out


def to_json(squad: dict[str, Any]) -> str:
    """The text of an export file (UTF-8, not ASCII-escaped: the labels stay readable)."""
    return json.dumps(squad, ensure_ascii=False, indent=1)


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
