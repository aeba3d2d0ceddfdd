"""A collection's documents and what is to be done with them, in SQLite: it survives a restart.

Every upload is a row: `queued` once its bytes are on disk, `indexing` while the writer applies it,
then `ready` or `failed` (with the reason); a delete marks the row `deleting` and the writer removes
it once the document is out of the index. Rows are applied in the order they came (`seq`). The
database is in WAL mode with full syncs, so a committed row (an acknowledged upload) survives a
crash of the process and of the machine; every call opens its own connection, so gunicorn's
workers and threads share it safely.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qa.errors import RagqaError

QUEUED, INDEXING, READY, FAILED, DELETING = "queued", "indexing", "ready", "failed", "deleting"
STATUSES = (QUEUED, INDEXING, READY, FAILED, DELETING)
PENDING = (QUEUED, INDEXING, DELETING)  # what the writer still has to do
BUSY_SECONDS = 30.0  # a writer's commit holds the database for milliseconds; this is a wide margin

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    metadata TEXT NOT NULL DEFAULT '{}',
    size INTEGER NOT NULL DEFAULT 0,
    sha256 TEXT,
    staged TEXT,
    passages INTEGER,
    uploaded TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_status ON documents (status);
CREATE TABLE IF NOT EXISTS requests (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, at TEXT NOT NULL);
"""


class DocumentNotFound(RagqaError):
    status = 404
    code = "not_found"


@dataclass(frozen=True)
class Entry:
    """One uploaded document as the queue knows it."""

    seq: int
    id: str
    name: str  # its path in the collection's corpus folder
    status: str
    reason: str | None = None  # why it failed
    metadata: dict[str, Any] = field(default_factory=dict)
    size: int = 0
    sha256: str | None = None
    staged: str | None = None  # its bytes' name in the incoming folder until the writer moves them
    passages: int | None = None
    uploaded: str = ""
    updated: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The JSON of `GET /api/collections/<name>/documents/<id>`."""
        return {
            "id": self.id,
            "name": self.name,
            "status": self.status,
            "reason": self.reason,
            "metadata": self.metadata,
            "size": self.size,
            "passages": self.passages,
            "uploaded": self.uploaded,
            "updated": self.updated,
        }


@dataclass(frozen=True)
class NewDocument:
    """What an upload adds: its name, its staged bytes' name and what they are."""

    name: str
    staged: str
    size: int
    sha256: str
    metadata: dict[str, Any] = field(default_factory=dict)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class DocumentQueue:
    """The rows of one collection's `queue.sqlite`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None)) as db:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")  # a commit returned is on disk: what an upload's 202 promises
            yield db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def create(self) -> None:
        """Make the tables (once; harmless after)."""
        with self._db() as db:
            db.executescript(_SCHEMA)

    def put(self, documents: Iterable[NewDocument]) -> list[Entry]:
        """Queue documents whose bytes are already on disk, all or none, in one committed transaction."""
        stamp = now()
        ids = []
        with self._transaction() as db:
            for doc in documents:
                doc_id = secrets.token_hex(8)
                db.execute(
                    "INSERT INTO documents (id, name, status, metadata, size, sha256, staged, uploaded, updated)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (doc_id, doc.name, QUEUED, _json(doc.metadata), doc.size, doc.sha256, doc.staged, stamp, stamp),
                )
                ids.append(doc_id)
        return [self.get(doc_id) for doc_id in ids]

    def get(self, doc_id: str) -> Entry:
        with self._db() as db:
            row = db.execute("SELECT * FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            raise DocumentNotFound(f"no document {doc_id!r} in this collection")
        return _entry(row)

    def all(self) -> list[Entry]:
        """Every document, oldest first."""
        return self._select("SELECT * FROM documents ORDER BY seq")

    def pending(self) -> list[Entry]:
        """What the writer has to do, in the order it came (an `indexing` row is one a pass left unfinished)."""
        marks = ", ".join("?" * len(PENDING))
        return self._select(f"SELECT * FROM documents WHERE status IN ({marks}) ORDER BY seq", PENDING)

    def has_work(self) -> bool:
        """Whether anything is pending or a re-read was asked for: one cheap query, for a writer's poll."""
        marks = ", ".join("?" * len(PENDING))
        with self._db() as db:
            found = db.execute(
                f"SELECT EXISTS (SELECT 1 FROM documents WHERE status IN ({marks})) OR EXISTS (SELECT 1 FROM requests)",
                PENDING,
            ).fetchone()[0]
        return bool(found)

    def counts(self) -> dict[str, int]:
        """Documents by status (every status listed, 0 where none)."""
        with self._db() as db:
            rows = db.execute("SELECT status, COUNT(*) FROM documents GROUP BY status").fetchall()
        return {**dict.fromkeys(STATUSES, 0), **{status: n for status, n in rows}}

    def delete(self, doc_id: str) -> Entry:
        """Ask for a document to be removed: it is `deleting` until the writer has taken it out of the index."""
        self.get(doc_id)
        with self._transaction() as db:
            db.execute("UPDATE documents SET status = ?, updated = ? WHERE id = ?", (DELETING, now(), doc_id))
        return self.get(doc_id)

    def mark(self, doc_ids: Iterable[str], status: str, reason: str | None = None, passages: int | None = None) -> None:
        """Set documents' status (and why, for `failed`); their staged bytes are then in the corpus folder.

        A document deleted meanwhile stays `deleting`: the delete came later, and the next pass applies it."""
        with self._transaction() as db:
            db.executemany(
                "UPDATE documents SET status = ?, reason = ?, passages = ?, staged = NULL, updated = ?"
                " WHERE id = ? AND status != ?",
                [(status, reason, passages, now(), doc_id, DELETING) for doc_id in doc_ids],
            )

    def moved(self, doc_id: str) -> None:
        """Record that a document's staged bytes are now in the corpus folder."""
        with self._transaction() as db:
            db.execute("UPDATE documents SET staged = NULL WHERE id = ?", (doc_id,))

    def begin(self, doc_ids: Iterable[str]) -> None:
        """Mark queued documents `indexing` (their staged bytes stay named until they are moved)."""
        with self._transaction() as db:
            db.executemany(
                "UPDATE documents SET status = ?, updated = ? WHERE id = ? AND status = ?",
                [(INDEXING, now(), doc_id, QUEUED) for doc_id in doc_ids],
            )

    def remove(self, doc_ids: Iterable[str]) -> None:
        """Drop rows: deleted documents, and uploads a later upload of the same name replaced."""
        with self._transaction() as db:
            db.executemany("DELETE FROM documents WHERE id = ?", [(doc_id,) for doc_id in doc_ids])

    def request_reindex(self) -> None:
        """Ask the writer to read the whole folder again (a full build) at its next pass."""
        with self._transaction() as db:
            db.execute("INSERT INTO requests (kind, at) VALUES ('reindex', ?)", (now(),))

    def reindex_requested(self) -> int:
        """The last re-read request's number, or 0 when none is pending."""
        with self._db() as db:
            return int(db.execute("SELECT COALESCE(MAX(seq), 0) FROM requests").fetchone()[0])

    def reindexed(self, upto: int) -> None:
        """Forget the re-read requests a full build has answered (those made meanwhile stay)."""
        with self._transaction() as db:
            db.execute("DELETE FROM requests WHERE seq <= ?", (upto,))

    def staged_names(self) -> set[str]:
        """The incoming files some row still waits for."""
        with self._db() as db:
            rows = db.execute("SELECT staged FROM documents WHERE staged IS NOT NULL").fetchall()
        return {row[0] for row in rows}

    def _select(self, sql: str, args: tuple[Any, ...] = ()) -> list[Entry]:
        with self._db() as db:
            return [_entry(row) for row in db.execute(sql, args).fetchall()]


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _entry(row: sqlite3.Row) -> Entry:
    return Entry(
        seq=row["seq"],
        id=row["id"],
        name=row["name"],
        status=row["status"],
        reason=row["reason"],
        metadata=json.loads(row["metadata"] or "{}"),
        size=row["size"],
        sha256=row["sha256"],
        staged=row["staged"],
        passages=row["passages"],
        uploaded=row["uploaded"],
        updated=row["updated"],
    )
