"""The document queue: rows survive a reopen (a restart), in the order they came, with their statuses."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from qa.collections.queue import (
    DELETING,
    FAILED,
    INDEXING,
    QUEUED,
    READY,
    DocumentNotFound,
    DocumentQueue,
    NewDocument,
)


@pytest.fixture()
def queue(tmp_path: Path) -> DocumentQueue:
    made = DocumentQueue(tmp_path / "queue.sqlite")
    made.create()
    return made


def doc(name: str, **fields: object) -> NewDocument:
    return NewDocument(name, f"staged-{name}", 10, "0" * 64, dict(fields))


def test_a_put_is_queued_and_survives_a_reopen(queue: DocumentQueue, tmp_path: Path) -> None:
    first, second = queue.put([doc("a.txt", team="ops"), doc("b.pdf")])
    assert first.status == QUEUED and first.metadata == {"team": "ops"} and first.staged == "staged-a.txt"
    reopened = DocumentQueue(tmp_path / "queue.sqlite")
    assert [e.id for e in reopened.pending()] == [first.id, second.id]
    assert reopened.get(first.id).to_dict()["metadata"] == {"team": "ops"}
    assert reopened.get(first.id).to_dict()["reason"] is None


def test_the_database_is_in_wal_mode(queue: DocumentQueue, tmp_path: Path) -> None:
    queue.put([doc("a.txt")])
    with sqlite3.connect(tmp_path / "queue.sqlite") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_statuses_move_and_pending_keeps_what_is_unfinished(queue: DocumentQueue) -> None:
    a, b, c = queue.put([doc("a.txt"), doc("b.txt"), doc("c.txt")])
    queue.begin([a.id, b.id])
    assert queue.get(a.id).status == INDEXING and queue.get(a.id).staged == "staged-a.txt"
    queue.mark([a.id], READY, passages=3)
    queue.mark([b.id], FAILED, "not valid UTF-8")
    assert queue.get(a.id).passages == 3 and queue.get(a.id).staged is None
    assert queue.get(b.id).reason == "not valid UTF-8"
    assert [e.id for e in queue.pending()] == [c.id]
    assert queue.counts() == {QUEUED: 1, INDEXING: 0, READY: 1, FAILED: 1, DELETING: 0}


def test_a_delete_that_lands_during_a_pass_is_not_overwritten(queue: DocumentQueue) -> None:
    (a,) = queue.put([doc("a.txt")])
    queue.begin([a.id])
    queue.delete(a.id)  # the user deletes it while the writer indexes it
    queue.mark([a.id], READY)
    assert queue.get(a.id).status == DELETING
    assert [e.id for e in queue.pending()] == [a.id]


def test_unknown_ids_are_404(queue: DocumentQueue) -> None:
    with pytest.raises(DocumentNotFound) as caught:
        queue.get("nope")
    assert caught.value.status == 404
    with pytest.raises(DocumentNotFound):
        queue.delete("nope")


def test_removed_rows_are_gone_and_reindex_requests_are_answered_up_to_a_point(queue: DocumentQueue) -> None:
    a, b = queue.put([doc("a.txt"), doc("b.txt")])
    queue.remove([a.id])
    assert [e.id for e in queue.all()] == [b.id]
    assert not queue.reindex_requested()
    queue.request_reindex()
    first = queue.reindex_requested()
    queue.request_reindex()  # asked again while the first is being answered
    queue.reindexed(first)
    assert queue.reindex_requested() > first
    assert queue.has_work()


def test_has_work_is_false_when_everything_is_settled(queue: DocumentQueue) -> None:
    assert not queue.has_work()
    (a,) = queue.put([doc("a.txt")])
    assert queue.has_work()
    queue.mark([a.id], READY)
    assert not queue.has_work()
    assert queue.staged_names() == set()
