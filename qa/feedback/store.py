"""Feedback kept durably in one SQLite file that every server worker (a process each) can write to."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from qa.errors import FeedbackUnavailable
from qa.feedback.submission import Feedback, FeedbackRecord
from qa.ingest.passages import Passage

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    question TEXT NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    answer TEXT,
    passage_id TEXT,
    correction TEXT,
    passages TEXT NOT NULL,
    context_id TEXT NOT NULL,
    title TEXT NOT NULL,
    context TEXT NOT NULL
)
"""
_COLUMNS = "id, created_at, question, rating, answer, passage_id, correction, passages, context_id, title, context"
# Passage ids never contain a newline (they are `<doc path>#<n>`), so a newline joins them losslessly.
_SEP = "\n"


class FeedbackStore:
    """Append and read feedback records in the SQLite file at `path` (created on first write)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def add(self, feedback: Feedback, context: Passage) -> FeedbackRecord:
        """Store one submission with the passage chosen as its context; return the stored record."""
        created = datetime.now(UTC).isoformat(timespec="seconds")
        row = (
            created,
            feedback.question,
            feedback.rating,
            feedback.answer,
            feedback.passage_id,
            feedback.correction,
            _SEP.join(feedback.passages),
            context.id,
            context.title,
            context.text,
        )
        with self._connect(create=True) as db:
            cursor = db.execute(
                f"INSERT INTO feedback ({_COLUMNS.split(', ', 1)[1]}) VALUES (?,?,?,?,?,?,?,?,?,?)", row
            )
            new_id = int(cursor.lastrowid or 0)
        return FeedbackRecord(new_id, created, feedback, context.id, context.title, context.text)

    def records(self) -> list[FeedbackRecord]:
        """Every record, oldest first; none when nothing was ever stored."""
        if not self.path.exists():
            return []
        with self._connect(create=False) as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM feedback ORDER BY id").fetchall()
        return [_record(row) for row in rows]

    @contextmanager
    def _connect(self, create: bool) -> Iterator[sqlite3.Connection]:
        """A connection with the table in place; any SQLite or file error becomes one readable error."""
        db = None
        try:
            if create:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            # timeout: another worker may hold the write lock for a moment.
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            db.execute(_SCHEMA)
            yield db
        except (OSError, sqlite3.Error) as exc:
            raise FeedbackUnavailable(
                f"cannot use the feedback database {self.path} ({exc}); set RAGQA_FEEDBACK_DB to a writable SQLite file"
            ) from exc
        finally:
            if db is not None:
                db.close()


def _record(row: tuple) -> FeedbackRecord:
    rid, created, question, rating, answer, passage_id, correction, passages, context_id, title, context = row
    feedback = Feedback(question, rating, answer, passage_id, correction, tuple(passages.split(_SEP)))
    return FeedbackRecord(rid, created, feedback, context_id, title, context)
