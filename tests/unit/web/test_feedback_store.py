"""The feedback database's bounds and the answer signature: a rate limit per client, a size cap,
one secret for every worker, and tokens that fit only the answer served (no model needed)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from qa.feedback.store import FeedbackFull, FeedbackStore, Limit, TooMuchFeedback
from qa.feedback.submission import Feedback
from qa.feedback.token import FeedbackSigner
from qa.ingest.passages import Passage

PASSAGE = Passage("d#1", "d", "d.txt", "标题", "", "body", "园区占地1000亩。" * 40, 0, 480)


def _feedback(n: int = 0) -> Feedback:
    return Feedback(f"问题{n}？", "up", "1000亩", "d#1", None, ("d#1", "d#2"))


def test_a_client_over_its_limit_is_refused_and_others_are_not(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "f.sqlite3")
    limit = Limit(count=3, seconds=3600)
    for n in range(3):
        store.add(_feedback(n), PASSAGE, client="a", limit=limit)
    with pytest.raises(TooMuchFeedback) as refused:
        store.add(_feedback(9), PASSAGE, client="a", limit=limit)
    assert refused.value.status == 429 and refused.value.retry_after == 3600
    store.add(_feedback(9), PASSAGE, client="b", limit=limit)
    assert [r.feedback.question for r in store.records()] == ["问题0？", "问题1？", "问题2？", "问题9？"]


def test_the_database_stops_growing_at_its_cap_with_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "f.sqlite3"
    store = FeedbackStore(path, max_bytes=64 * 1024)
    stored = 0
    with pytest.raises(FeedbackFull) as full:
        for n in range(1000):
            store.add(_feedback(n), PASSAGE)
            stored += 1
    assert 10 < stored < 1000
    assert full.value.status == 507 and "cap" in full.value.message and "RAGQA_FEEDBACK_MAX_MB" in full.value.message
    assert path.stat().st_size <= 64 * 1024
    assert len(store.records()) == stored  # what was stored is still there, and readable
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_an_older_database_gains_the_client_column(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:  # the schema before the rate limit
        db.execute(
            "CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, created_at TEXT NOT NULL, question TEXT "
            "NOT NULL, rating TEXT NOT NULL, answer TEXT, passage_id TEXT, correction TEXT, passages TEXT NOT NULL, "
            "context_id TEXT NOT NULL, title TEXT NOT NULL, context TEXT NOT NULL)"
        )
    store = FeedbackStore(path)
    store.add(_feedback(), PASSAGE, client="a", limit=Limit(1, 60))
    with pytest.raises(TooMuchFeedback):
        store.add(_feedback(), PASSAGE, client="a", limit=Limit(1, 60))


def test_the_secret_is_made_once_and_shared(tmp_path: Path) -> None:
    path = tmp_path / "f.sqlite3"
    first = FeedbackStore(path).secret()
    assert len(first) == 32 and FeedbackStore(path).secret() == first
    assert FeedbackStore(tmp_path / "other.sqlite3").secret() != first


@pytest.mark.parametrize(
    "forged",
    [
        {"answer": "任何答案"},
        {"question": "别的问题？"},
        {"passage_id": "d#2"},
        {"passages": ("d#1",)},
        {"rating": "down", "correction": "x"},  # a verdict may change; what was served may not
    ],
)
def test_a_token_fits_only_the_answer_served(forged: dict) -> None:
    signer = FeedbackSigner(b"k" * 32)
    token = signer.sign(" 问题0？", "1000亩 ", "d#1", ["d#1", "d#2"])
    assert signer.verify(_feedback(), token)
    changed = Feedback(**{**_feedback().__dict__, **forged})
    assert signer.verify(changed, token) == ("rating" in forged)
    assert not signer.verify(_feedback(), token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert not FeedbackSigner(b"x" * 32).verify(_feedback(), token)
    assert not signer.verify(_feedback(), None) and not signer.verify(_feedback(), "令牌")


def test_a_record_reference_names_only_its_own_record() -> None:
    signer = FeedbackSigner(b"k" * 32)
    reference = signer.sign_record(41)
    assert signer.record_id(reference) == 41
    _, _, mac = reference.partition(".")
    for forged in (f"42.{mac}", f"41.{mac[:-1]}", "41", "", None, "٤١." + mac, "1" * 40 + "." + mac):
        assert signer.record_id(forged) is None, forged
    assert FeedbackSigner(b"x" * 32).record_id(reference) is None
