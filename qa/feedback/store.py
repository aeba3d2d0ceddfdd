"""Feedback kept durably in one SQLite file that every server worker (a process each) can write to.

The file is open to anyone who can post feedback, so it is bounded twice: a client may store at
most `Limit.count` records per `Limit.seconds` (counted in the file itself, so every worker sees
the same count), and the file never grows past `max_bytes` (SQLite's own `max_page_count`, so the
cap holds whichever worker writes). The feedback token's secret lives here too (`secret()`).
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from qa.errors import FeedbackUnavailable, RagqaError
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
    context TEXT NOT NULL,
    client TEXT
)
"""
# Files written before the rate limit lack the client column; the other statements are idempotent.
_MIGRATIONS = (
    "ALTER TABLE feedback ADD COLUMN client TEXT",
    "CREATE INDEX IF NOT EXISTS feedback_client ON feedback (client, created_at)",
    "CREATE TABLE IF NOT EXISTS secret (name TEXT PRIMARY KEY, value BLOB NOT NULL)",
)
_COLUMNS = "id, created_at, question, rating, answer, passage_id, correction, passages, context_id, title, context"
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
# Passage ids never contain a newline (they are `<doc path>#<n>`), so a newline joins them losslessly.
_SEP = "\n"


class FeedbackFull(RagqaError):
    """The database reached its size cap: nothing more is stored until an operator exports and clears it."""

    status = 507
    code = "feedback_full"


class TooMuchFeedback(RagqaError):
    """One client sent more feedback than the rate limit allows."""

    status = 429
    code = "too_many_requests"


@dataclass(frozen=True)
class Limit:
    """At most `count` records per client in any `seconds`."""

    count: int
    seconds: float

    @property
    def retry_after(self) -> int:
        return max(1, round(self.seconds))


class FeedbackStore:
    """Append and read feedback records in the SQLite file at `path` (created on first write)."""

    def __init__(self, path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes

    def secret(self) -> bytes:
        """The server's signing secret: made on first use, then the same for every worker and restart."""
        with self._connect(create=True) as db:
            # OR IGNORE: two workers starting at once both try; the first row wins, both read it.
            db.execute("INSERT OR IGNORE INTO secret (name, value) VALUES ('feedback', ?)", (secrets.token_bytes(32),))
            (value,) = db.execute("SELECT value FROM secret WHERE name = 'feedback'").fetchone()
        return bytes(value)

    def add(
        self, feedback: Feedback, context: Passage, client: str | None = None, limit: Limit | None = None
    ) -> FeedbackRecord:
        """Store one submission with the passage chosen as its context; return the stored record.

        Raises TooMuchFeedback when `client` already stored `limit.count` records in the last
        `limit.seconds`, and FeedbackFull when the file is at its size cap.
        """
        now = datetime.now(UTC)
        created = now.isoformat(timespec="seconds")
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
            client,
        )
        with self._connect(create=True) as db:
            db.execute("BEGIN IMMEDIATE")  # the count and the insert as one step across workers
            try:
                if client is not None and limit is not None:
                    self._check_rate(db, client, limit, now)
                cursor = db.execute(
                    f"INSERT INTO feedback ({_COLUMNS.split(', ', 1)[1]}, client) VALUES (?,?,?,?,?,?,?,?,?,?,?)", row
                )
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:  # SQLITE_FULL may have rolled it back already
                    db.execute("ROLLBACK")
                raise
            new_id = int(cursor.lastrowid or 0)
        return FeedbackRecord(new_id, created, feedback, context.id, context.title, context.text)

    def question(self, record_id: int) -> str | None:
        """The question of one stored record (None when there is no such record)."""
        if not self.path.exists():
            return None
        with self._connect(create=False) as db:
            row = db.execute("SELECT question FROM feedback WHERE id = ?", (record_id,)).fetchone()
        return row[0] if row else None

    @staticmethod
    def _check_rate(db: sqlite3.Connection, client: str, limit: Limit, now: datetime) -> None:
        since = (now - timedelta(seconds=limit.seconds)).isoformat(timespec="seconds")
        (recent,) = db.execute(
            "SELECT COUNT(*) FROM feedback WHERE client = ? AND created_at > ?", (client, since)
        ).fetchone()
        if recent >= limit.count:
            error = TooMuchFeedback(
                f"too much feedback from this address ({limit.count} per {limit.seconds:g} s); try again later"
            )
            error.retry_after = limit.retry_after
            raise error

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
            for statement in _MIGRATIONS:
                try:
                    db.execute(statement)
                except sqlite3.OperationalError as exc:
                    if "duplicate column" not in str(exc):
                        raise
            (page_size,) = db.execute("PRAGMA page_size").fetchone()
            # SQLite refuses to allocate a page past this, so the file stops growing at the cap (SQLITE_FULL).
            db.execute(f"PRAGMA max_page_count = {max(1, self.max_bytes // page_size)}")
            yield db
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode == sqlite3.SQLITE_FULL:
                raise FeedbackFull(
                    f"the feedback database {self.path} reached its cap of {self.max_bytes // 1024} KB; "
                    "export it (ragqa feedback export), then move it away or raise RAGQA_FEEDBACK_MAX_MB"
                ) from exc
            raise self._unavailable(exc) from exc
        except (OSError, sqlite3.Error) as exc:
            raise self._unavailable(exc) from exc
        finally:
            if db is not None:
                db.close()

    def _unavailable(self, exc: Exception) -> FeedbackUnavailable:
        return FeedbackUnavailable(
            f"cannot use the feedback database {self.path} ({exc}); set RAGQA_FEEDBACK_DB to a writable SQLite file"
        )


def _record(row: tuple) -> FeedbackRecord:
    rid, created, question, rating, answer, passage_id, correction, passages, context_id, title, context = row
    feedback = Feedback(question, rating, answer, passage_id, correction, tuple(passages.split(_SEP)))
    return FeedbackRecord(rid, created, feedback, context_id, title, context)
