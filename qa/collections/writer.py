"""The one writer of a collection: applies its queued uploads and deletes to its corpus folder and index.

A pass takes what is pending (`DocumentQueue.pending`), moves each upload's staged bytes into the
corpus folder under its name (and its fields into the folder's fields file), removes deleted
files, then brings the index up to date with the folder in one publish (`qa.ingest.update`; a
full build for a re-read) while the live version keeps answering. The ingest report that build
leaves says, file by file, what was read and what was skipped and why: each upload becomes
`ready` or `failed` with that reason, and a failed file is taken out of the folder, so it never
blocks the others nor is read again. What arrives during a pass waits for the next one.

Only one writer works on a collection at a time, across threads and processes (gunicorn's
workers): it holds `writer.lock` (flock, released by the kernel when the process dies). Every
step is safe to repeat, so a pass killed half-way is finished by the next one after a restart:
rows it left `indexing` are pending still, a move already made is seen as made.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.collections.collection import Collection, Collections
from qa.collections.queue import DELETING, FAILED, QUEUED, READY, Entry
from qa.errors import CorpusError, RagqaError
from qa.ingest.folder import list_files, read_fields, write_fields
from qa.ingest.readers import Skip
from qa.store.versions import fsync

if TYPE_CHECKING:
    from embeddings.encoder import Encoder

log = logging.getLogger(__name__)

# (collection, full: read every file again) -> the ingest report of the build (`qa.ingest.ingest_report`)
Apply = Callable[[Collection, bool], dict[str, Any]]

ORPHAN_SECONDS = 600  # an incoming file no row names, this old, is an upload that was never acknowledged
NOT_READ = "it was not found in the collection's folder when the index was built"
NO_TEXT = "no text to index was found in it"


@dataclass
class Pass:
    """What one pass did, by document id."""

    ready: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # deleted, or replaced by a later upload of the same name
    full: bool = False


class Writer:
    """Applies one collection's queue; `run()` is one pass."""

    def __init__(self, collection: Collection, apply: Apply) -> None:
        self.collection = collection.writable()
        self.apply = apply

    @contextmanager
    def lock(self, wait: bool = False) -> Iterator[bool]:
        """Hold the collection's writer lock; yields False (at once) when another writer holds it and not `wait`."""
        fd = os.open(self.collection.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)  # releases the lock

    def run(self, wait: bool = False) -> Pass | None:
        """One pass over what is pending; None when there was nothing to do or another writer holds the lock."""
        with self.lock(wait) as held:
            if not held:
                return None
            return self._pass()

    def _pass(self) -> Pass | None:
        queue = self.collection.queue
        rows = queue.pending()
        reindex = queue.reindex_requested()
        if not rows and not reindex:
            return None
        queue.begin([row.id for row in rows if row.status == QUEUED])
        done = Pass(full=bool(reindex))
        fields, owners = self._fields(), self._owners()
        moved: list[Entry] = []
        for row in rows:
            if row.status == DELETING:
                self._delete(row, owners, fields)
                done.removed.append(row.id)
            elif self._move(row, fields, done):
                moved.append(row)
                done.removed += [old.id for old in owners.get(row.name, []) if old.seq < row.seq]
        write_fields(self.collection.corpus, fields)
        self._drop_orphans()
        statuses = self._index(done.full)
        judged = moved + ([row for row in queue.all() if row.status == READY] if done.full else [])
        for row in judged:
            if row.id in done.removed:
                continue
            passages, reason = statuses.get(row.name, (0, NOT_READ))
            if reason is None:
                queue.mark([row.id], READY, passages=passages)
                done.ready.append(row.id)
            else:
                queue.mark([row.id], FAILED, reason)
                done.failed.append(row.id)
                self._unlink(row.name, fields)
        if done.failed:
            write_fields(self.collection.corpus, fields)
            if not list_files(self.collection.corpus).files:
                empty_index(self.collection.index)
        queue.remove(done.removed)
        if reindex:
            queue.reindexed(reindex)
        return done

    def _owners(self) -> dict[str, list[Entry]]:
        """Every row by its name (a later upload of a name replaces the earlier ones), oldest first."""
        owners: dict[str, list[Entry]] = {}
        for row in self.collection.queue.all():
            owners.setdefault(row.name, []).append(row)
        return owners

    def _fields(self) -> dict[str, dict[str, Any]]:
        try:
            return read_fields(self.collection.corpus)[0]
        except Skip as exc:
            log.error("collection %s: its fields file is damaged and is rewritten: %s", self.collection.name, exc)
            return {}

    def _move(self, row: Entry, fields: dict[str, dict[str, Any]], done: Pass) -> bool:
        """Put an upload's bytes in the corpus under its name; False (and the row failed) when they are gone."""
        corpus = self.collection.corpus
        target = corpus / row.name
        corpus.mkdir(parents=True, exist_ok=True)
        if row.staged is not None:
            staged = self.collection.incoming / row.staged
            if staged.is_file():
                if fields.get(row.name, {}) != row.metadata and _sha256(target) == row.sha256:
                    done.full = True  # same bytes, new fields: an update would carry the old ones over
                os.replace(staged, target)
                fsync(corpus)
            elif _sha256(target) != row.sha256:  # not moved by a pass killed after the rename either
                self.collection.queue.mark([row.id], FAILED, "its uploaded bytes were lost before it was indexed")
                done.failed.append(row.id)
                return False
            self.collection.queue.moved(row.id)
        if row.metadata:
            fields[row.name] = dict(row.metadata)
        else:
            fields.pop(row.name, None)
        return True

    def _delete(self, row: Entry, owners: dict[str, list[Entry]], fields: dict[str, dict[str, Any]]) -> None:
        if row.staged is not None:  # never moved: the file of that name, if any, is another upload's
            (self.collection.incoming / row.staged).unlink(missing_ok=True)
            return
        later = [other for other in owners.get(row.name, []) if other.seq > row.seq and other.status != DELETING]
        if not later:
            self._unlink(row.name, fields)

    def _unlink(self, name: str, fields: dict[str, dict[str, Any]]) -> None:
        (self.collection.corpus / name).unlink(missing_ok=True)
        fields.pop(name, None)
        fsync(self.collection.corpus)

    def _drop_orphans(self) -> None:
        """Remove incoming bytes no row names: uploads refused or killed before they were acknowledged."""
        folder = self.collection.incoming
        if not folder.is_dir():
            return
        named = self.collection.queue.staged_names()
        cutoff = time.time() - ORPHAN_SECONDS
        for path in folder.iterdir():
            with suppress(OSError):
                if path.name not in named and path.stat().st_mtime < cutoff:
                    path.unlink()

    def _index(self, full: bool) -> dict[str, tuple[int, str | None]]:
        """Build the index from the folder; each file's (passages, why it failed or None)."""
        if not list_files(self.collection.corpus).files:
            empty_index(self.collection.index)
            return {}
        report = self.apply(self.collection, full)
        return file_statuses(report)


def file_statuses(report: dict[str, Any]) -> dict[str, tuple[int, str | None]]:
    """Each file of an ingest report: its passages and None when it was read into the index, else why not."""
    statuses: dict[str, tuple[int, str | None]] = {}
    for read in report.get("read", []):
        passages = int(read.get("passages") or 0)
        parts = "; ".join(f"{p['where']}: {p['reason']}" for p in read.get("parts_skipped", []))
        statuses[read["path"]] = (passages, None if passages else NO_TEXT + (f" ({parts})" if parts else ""))
    for skipped in report.get("skipped", []):
        statuses[skipped["path"]] = (0, skipped.get("reason") or "it could not be read")
    return statuses


def empty_index(root: Path) -> None:
    """Leave an index root with no version: every document of the collection is gone, and none may answer."""
    from qa.ingest.ingest_report import REPORT
    from qa.store import versions

    if not root.exists():
        return
    with versions.build_lock(root):
        (root / versions.POINTER).unlink(missing_ok=True)
        fsync(root)
        shutil.rmtree(root / versions.VERSIONS, ignore_errors=True)
        (root / REPORT).unlink(missing_ok=True)


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class IndexApplier:
    """Applies a collection's folder to its index with the model the server answers with."""

    def __init__(self, encoder: Callable[[], Encoder]) -> None:
        self.encoder = encoder  # called at each pass: the served model, once it is loaded

    def __call__(self, collection: Collection, full: bool) -> dict[str, Any]:
        from qa.ingest.corpus import read_corpus
        from qa.ingest.indexer import build_index
        from qa.ingest.ingest_report import REPORT, ingest_report
        from qa.ingest.update import update_index

        encoder = self.encoder()
        try:
            if full:
                build_index(collection.corpus, collection.index, encoder)
            else:
                update_index(collection.corpus, collection.index, encoder)
        except CorpusError:
            # Not one file with text: nothing was built, and the report says why, file by file.
            return ingest_report(collection.corpus, read_corpus(collection.corpus), None, {}, 0.0)
        return json.loads((collection.index / REPORT).read_text(encoding="utf-8"))


class WriterLoop:
    """A thread that runs every collection's writer while there is work: the server's background writer.

    Every worker process may run one; the collections' locks make one of them write each collection."""

    def __init__(self, collections: Collections, apply: Apply, interval: float = 1.0) -> None:
        self.collections = collections
        self.apply = apply
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._waits: dict[str, tuple[float, float]] = {}  # collection -> (retry after, backoff seconds)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="ragqa-writer", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Look for work now (an upload just came in) instead of at the next interval."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()

    def run_once(self) -> dict[str, Pass]:
        """One pass over every collection with work; what each did."""
        done = {}
        for name in self.collections.names()[1:]:
            retry_after, _ = self._waits.get(name, (0.0, 0.0))
            if time.monotonic() < retry_after:
                continue
            try:
                collection = self.collections.get(name)
                if not collection.queue.has_work():
                    continue
                result = Writer(collection, self.apply).run()
            except (RagqaError, OSError) as exc:  # the model not loaded yet, a full disk: try again later
                self._back_off(name, exc)
                continue
            except Exception as exc:  # the thread must outlive any one collection's trouble
                log.exception("collection %s: the writer failed", name)
                self._back_off(name, exc)
                continue
            self._waits.pop(name, None)
            if result is not None:
                done[name] = result
        return done

    def _back_off(self, name: str, exc: Exception) -> None:
        _, wait = self._waits.get(name, (0.0, 0.0))
        wait = min(60.0, max(2.0, wait * 2))
        self._waits[name] = (time.monotonic() + wait, wait)
        message = exc.message if isinstance(exc, RagqaError) else str(exc)
        log.warning("collection %s: writing deferred %.0f s: %s", name, wait, message)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.run_once()
            self._wake.wait(self.interval)
            self._wake.clear()
