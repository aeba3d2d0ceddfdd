"""Feedback kept durably in one SQLite file that every server worker (a process each) can write to.

The file is open to anyone who can post feedback, so it is bounded: one record per served answer
(keyed by the answer's token, `served`: a later verdict on the same answer replaces the earlier
one), at most `Limit.count` new records per client per `Limit.seconds` (counted in the file
itself, so every worker sees the same count), and never more than `max_bytes` (SQLite's own
`max_page_count`, so the cap holds whichever worker writes). The file is owner-only
(`qa.feedback.private`); the key that signs answers is beside it, never in it (`secret()`).

A worker waits at most `busy_timeout` seconds for another's lock, then answers FeedbackBusy (503):
a database held locked must not hold the server's threads with it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from qa.errors import FeedbackUnavailable, RagqaError
from qa.feedback.private import private_file, signing_key, tighten
from qa.feedback.submission import Feedback, FeedbackRecord
from qa.ingest.passages import Passage

# 1: client column and index; 2: `served` (one record per served answer), passages as a JSON array,
# and no signing secret inside (it was readable with the file; see qa.feedback.private).
SCHEMA_VERSION = 2
_TABLE = """
CREATE TABLE feedback (
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
    client TEXT,
    served TEXT
)
"""
_INDEXES = (
    "CREATE INDEX IF NOT EXISTS feedback_client ON feedback (client, created_at)",
    # NULL for records stored before tokens had a nonce; SQLite lets those repeat.
    "CREATE UNIQUE INDEX IF NOT EXISTS feedback_served ON feedback (served)",
)
_COLUMNS = "id, created_at, question, rating, answer, passage_id, correction, passages, context_id, title, context"
_WRITTEN = "created_at, question, rating, answer, passage_id, correction, passages, context_id, title, context, client"
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
BUSY_TIMEOUT = 1.5  # seconds; a server request waits no longer for another writer's lock
RETRY_AFTER = 1  # seconds


class FeedbackFull(RagqaError):
    """The database reached its size cap: nothing more is stored until an operator exports and clears it."""

    status = 507
    code = "feedback_full"


class FeedbackBusy(FeedbackUnavailable):
    """The database is locked by someone else, or this worker's feedback slots are taken: retry shortly."""

    retry_after = RETRY_AFTER


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
    """Store and read feedback records in the SQLite file at `path` (created on first write)."""

    def __init__(
        self, path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES, busy_timeout: float = BUSY_TIMEOUT
    ) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self.busy_timeout = busy_timeout

    @property
    def key_path(self) -> Path:
        return self.path.with_name(self.path.name + ".key")

    def secret(self) -> bytes:
        """The server's signing key, from the owner-only file beside the database (made on first use).

        Never opens the database, so signing an answer never waits on its lock."""
        try:
            return signing_key(self.key_path)
        except (OSError, ValueError) as exc:
            raise FeedbackUnavailable(
                f"cannot use the feedback signing key {self.key_path} ({exc}); "
                "set RAGQA_FEEDBACK_DB to a file in a folder this server can write"
            ) from exc

    def prepare(self) -> None:
        """Create the file owner-only, or tighten and migrate an existing one, now rather than at the first write."""
        with self._connect(create=True):
            pass

    def add(
        self,
        feedback: Feedback,
        context: Passage,
        served: str,
        client: str | None = None,
        limit: Limit | None = None,
    ) -> FeedbackRecord:
        """Store one verdict on the answer `served` names, with the passage chosen as its context.

        A verdict on an answer already rated replaces the earlier one and keeps its id. Raises
        TooMuchFeedback when `client` already stored `limit.count` new records in the last
        `limit.seconds`, FeedbackFull at the size cap and FeedbackBusy when the file stays locked.
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
            json.dumps(list(feedback.passages), ensure_ascii=False),
            context.id,
            context.title,
            context.text,
            client,
        )
        with self._connect(create=True) as db, _transaction(db):
            found = db.execute("SELECT id FROM feedback WHERE served = ?", (served,)).fetchone()
            if found is None:
                if client is not None and limit is not None:
                    self._check_rate(db, client, limit, now)
                cursor = db.execute(
                    f"INSERT INTO feedback ({_WRITTEN}, served) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", (*row, served)
                )
                record_id = int(cursor.lastrowid or 0)
            else:
                record_id = found[0]
                assignments = ", ".join(f"{name} = ?" for name in _WRITTEN.split(", "))
                db.execute(f"UPDATE feedback SET {assignments} WHERE id = ?", (*row, record_id))
        return FeedbackRecord(record_id, created, feedback, context.id, context.title, context.text)

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
        """A connection to the current schema; any SQLite or file error becomes one readable error."""
        db = None
        try:
            if create:
                private_file(self.path, "the feedback database")  # before SQLite makes it with the umask's mode
            else:
                tighten(self.path, "the feedback database")
            for sibling in ("-journal", "-wal", "-shm"):  # SQLite gives these the database's mode, but old ones stay
                tighten(self.path.with_name(self.path.name + sibling), "the feedback database's journal")
            db = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
            self._migrate(db)
            (page_size,) = db.execute("PRAGMA page_size").fetchone()
            # SQLite refuses to allocate a page past this, so the file stops growing at the cap (SQLITE_FULL).
            db.execute(f"PRAGMA max_page_count = {max(1, self.max_bytes // page_size)}")
            yield db
        except sqlite3.OperationalError as exc:
            code = (exc.sqlite_errorcode or 0) & 0xFF
            if code == sqlite3.SQLITE_FULL:
                raise FeedbackFull(
                    f"the feedback database {self.path} reached its cap of {self.max_bytes // 1024} KB; "
                    "export it (ragqa feedback export), then move it away or raise RAGQA_FEEDBACK_MAX_MB"
                ) from exc
            if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise FeedbackBusy(
                    f"the feedback database {self.path} stayed locked for {self.busy_timeout:g} s "
                    "(another process holds it); retry shortly"
                ) from exc
            raise self._unavailable(exc) from exc
        except (OSError, sqlite3.Error) as exc:
            raise self._unavailable(exc) from exc
        finally:
            if db is not None:
                db.close()

    def _migrate(self, db: sqlite3.Connection) -> None:
        """Bring the file to SCHEMA_VERSION in one transaction (two workers starting at once: one does it)."""
        if _version(db) == SCHEMA_VERSION:
            return
        # The old secret's pages are zeroed when its table is dropped, not left in the free list.
        db.execute("PRAGMA secure_delete = ON")
        with _transaction(db):
            version = _version(db)
            if version > SCHEMA_VERSION:
                raise FeedbackUnavailable(
                    f"the feedback database {self.path} was written by a newer ragqa (schema {version}); "
                    "upgrade ragqa or point RAGQA_FEEDBACK_DB at another file"
                )
            if version < SCHEMA_VERSION:
                _upgrade(db)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _unavailable(self, exc: Exception) -> FeedbackUnavailable:
        return FeedbackUnavailable(
            f"cannot use the feedback database {self.path} ({exc}); set RAGQA_FEEDBACK_DB to a writable SQLite file"
        )


def _upgrade(db: sqlite3.Connection) -> None:
    """From any earlier schema (an empty file, or the file of an older ragqa) to the current one."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(feedback)")}
    if not columns:
        db.execute(_TABLE)
    else:
        for column in ("client", "served"):
            if column not in columns:
                db.execute(f"ALTER TABLE feedback ADD COLUMN {column} TEXT")
        # Older files joined the ids with "\n", which a JSONL record's id may itself contain; what
        # they hold cannot be told apart any more, so it is read as they would have read it.
        rows = db.execute("SELECT id, passages FROM feedback").fetchall()
        db.executemany(
            "UPDATE feedback SET passages = ? WHERE id = ?",
            [(json.dumps(passages.split("\n"), ensure_ascii=False), rid) for rid, passages in rows],
        )
    for statement in _INDEXES:
        db.execute(statement)
    # Tokens signed with it stop verifying; the key now lives in its own file (qa.feedback.private).
    db.execute("DROP TABLE IF EXISTS secret")


def _version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


@contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT: reads and writes inside are one step across workers."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:  # SQLITE_FULL may have rolled it back already
            db.execute("ROLLBACK")
        raise


def _record(row: tuple) -> FeedbackRecord:
    rid, created, question, rating, answer, passage_id, correction, passages, context_id, title, context = row
    feedback = Feedback(question, rating, answer, passage_id, correction, tuple(json.loads(passages)))
    return FeedbackRecord(rid, created, feedback, context_id, title, context)
