"""Files parsed in order, the heavy ones in worker processes: a process per core for PDFs and Office files.

Parsing a PDF is pure CPU (characters, boxes, tables), so on two cores two PDFs parse at once
while the build reads the next file. Text files parse faster than a process hop, so they stay in
this process. Results come back in file order, with at most `ahead` files read and waiting, so a
folder of large PDFs is never held in memory at once. Workers are spawned, not forked: the
process that builds an index has loaded the embedding model, whose threads a fork would copy.

No file may stop the build. A page over its time limit is given up inside the worker
(`qa.ingest.readers.page_clock`); a worker that shows no progress for a page's limit and `grace`
more (stuck in C code no timer reaches) is killed, its file skipped with the reason, and the files
that were in the pool with it are parsed again in a new one. A worker that dies by itself (killed
for its memory) costs the files it was reading a second try, then they are skipped.
"""

from __future__ import annotations

import logging
import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from multiprocessing import get_context

from qa.ingest import heartbeats, readers
from qa.ingest.documents import Document
from qa.ingest.readers import Reader, Skip
from qa.ingest.readers.page_clock import PageClock, PageOver, timing

log = logging.getLogger(__name__)

# Seconds a worker may go without beginning a page beyond the page limit itself: opening a file, laying
# out a long document after its last page, loading the OCR models, a worker process starting.
GRACE = 60.0
_POLL = 0.5  # seconds between looks at the workers while waiting for a file
_DIED = "the process reading it died (out of memory?); it was not read"


@dataclass
class Parsed:
    """One file's documents, the parts of it that could not be read, or why it was skipped whole."""

    documents: list[Document] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (where, why)
    skipped: str | None = None
    kind: str | None = None  # the reader's name ("pdf", "text"); None when no reader took the file
    pages: int = 0  # PDF pages, image frames, slides or sheets read; 0 for formats without pages
    seconds: float = 0.0  # spent reading it (in its worker)


def parse(rel: str, data: bytes, page_seconds: float | None = None) -> Parsed:
    """Read one file with the reader its content and name choose."""
    try:
        reader = readers.choose(rel, data)
    except Skip as exc:
        return Parsed(skipped=str(exc))
    return read_with(reader, rel, data, page_seconds)


def read_with(reader: Reader, rel: str, data: bytes, page_seconds: float | None = None) -> Parsed:
    """Read one file with its chosen reader (in this process or a worker: readers pickle).

    Args:
        page_seconds: the most one page may take (`qa.ingest.readers.page_clock`); None: no limit.
    """
    started = time.perf_counter()
    heartbeats.beat(rel)
    clock = PageClock(page_seconds, beat=lambda: heartbeats.beat(rel))
    parsed = Parsed(kind=reader.name)
    try:
        with timing(clock):
            parsed.documents = reader.read(rel, data, lambda where, why: parsed.problems.append((where, why)))
    except Skip as exc:
        parsed.skipped = str(exc)
    except PageOver as exc:  # a reader that does not give up a slow page on its own gives up the file
        parsed.skipped = f"a page {exc}"
    except Exception as exc:  # a reader's own fault must cost one file, never the build and the others
        log.exception("reading %s failed", rel)
        parsed.skipped = f"could not be read ({type(exc).__name__}: {exc}); the log has the details"
    parsed.pages = clock.pages or _pages(parsed.documents)
    parsed.seconds = time.perf_counter() - started
    return parsed


@dataclass
class Job:
    """One file handed to `Parsers`: its parse, pending or done."""

    rel: str
    reader: Reader | None
    data: bytes
    future: Future[Parsed]
    broken: int = 0  # pools that broke while it was being read

    def done(self) -> bool:
        return self.future.done()


class Parsers:
    """Where each file is parsed: in a pool of `workers` processes for binary formats, else here.

    Args:
        workers: processes for binary formats; 1 parses everything in this process (no pool to start,
            and no worker to kill: a page stuck in C code there holds the build).
        page_seconds: the most one page may take; None: no limit, and no worker is ever killed.
        grace: seconds a worker may show no progress beyond `page_seconds` before it is killed.
    """

    def __init__(self, workers: int, page_seconds: float | None = None, grace: float = GRACE) -> None:
        self.workers = workers
        self.page_seconds = page_seconds
        self.grace = grace
        self.ahead = 2 * workers  # files read and waiting for a worker
        self.pool: ProcessPoolExecutor | None = None  # started when the first binary file comes
        self.beats: heartbeats.Heartbeats | None = None
        self.jobs: list[Job] = []  # in the pool, not yet collected

    def submit(self, rel: str, data: bytes, reader: Reader | None = None) -> Job:
        """Start parsing one file (`reader` None: the one its content and name choose)."""
        if reader is None:
            # Chosen once, here: sniffing an Office file opens its ZIP directory, not worth doing twice.
            try:
                reader = readers.choose(rel, data)
            except Skip as exc:
                return Job(rel, None, b"", _done(Parsed(skipped=str(exc))))
        if self.workers <= 1 or not reader.binary:
            return Job(rel, reader, b"", _done(read_with(reader, rel, data, self.page_seconds)))
        job = Job(rel, reader, data, self._send(reader, rel, data))
        self.jobs.append(job)
        return job

    def result(self, job: Job) -> Parsed:
        """A file's parse, once it is done, or why it has none (its worker hung or died)."""
        waited = time.monotonic()
        while True:
            try:
                parsed = job.future.result(timeout=_POLL if job in self.jobs else None)
            except TimeoutError:
                if (silent := self._silent(job, waited)) is not None:
                    why = f"reading it showed no progress for {silent:g} s (a page stuck), so it was stopped"
                    self._restart(job, hung=True, why=why)
                    waited = time.monotonic()
                continue
            except BrokenProcessPool:
                self._restart(job, hung=False, why=_DIED)
                waited = time.monotonic()
                continue
            if job in self.jobs:
                self.jobs.remove(job)
            return parsed

    def close(self) -> None:
        """Stop the workers; ones still reading (the build failed part-way) are killed, not waited for."""
        if self.pool is not None:
            if any(not job.done() for job in self.jobs):
                _kill(self.pool)
            self.pool.shutdown(cancel_futures=True)
        if self.beats is not None:
            self.beats.close()
        self.pool, self.beats, self.jobs = None, None, []

    def _send(self, reader: Reader, rel: str, data: bytes) -> Future[Parsed]:
        if self.pool is None:
            ctx = get_context("spawn")
            self.beats = heartbeats.Heartbeats(ctx)
            self.pool = ProcessPoolExecutor(
                self.workers, mp_context=ctx, initializer=heartbeats.start_worker, initargs=(self.beats.queue,)
            )
        try:
            return self.pool.submit(read_with, reader, rel, data, self.page_seconds)
        except BrokenProcessPool:  # a worker died reading an earlier file: its files go to a new pool first
            self._restart(None, hung=False, why=_DIED)
            return self._send(reader, rel, data)

    def _silent(self, job: Job, waited: float) -> float | None:
        """The bound a file's worker has gone past without progress, or None while it is within it."""
        if self.page_seconds is None or self.beats is None:
            return None
        self.beats.drain()
        bound = self.page_seconds + self.grace
        last = self.beats.last.get(job.rel)
        if last is None:  # not begun: the pool's workers are still starting
            bound += self.grace
        return bound if time.monotonic() - max(waited, last or waited) > bound else None

    def _restart(self, waiting: Job | None, hung: bool, why: str) -> None:
        """Replace a pool that broke or holds a hung worker, then send the files it lost to a new one.

        A hung `waiting` file is skipped with `why`. When the pool broke by itself (a worker killed for
        its memory) the file to blame is unknown: the files it was reading get a second try, and `why`
        skips them when they break a pool again.
        """
        pool, beats = self.pool, self.beats
        assert pool is not None and beats is not None
        if hung:
            _kill(pool)
        pool.shutdown(wait=True, cancel_futures=True)  # a killed worker breaks the pool; this waits for that
        beats.drain()
        beats.close()
        self.pool, self.beats = None, None
        for job in self.jobs:
            lost = job.future.cancelled() or isinstance(job.future.exception(), BrokenProcessPool)
            if job.reader is None or not lost:
                continue  # finished before the pool went down
            if hung and job is waiting:
                log.error("%s: %s; the files read beside it are read again", job.rel, why)
                job.future = _done(Parsed(kind=job.reader.name, skipped=why))
                continue
            if not hung and (job is waiting or job.rel in beats.last):
                job.broken += 1  # it was being read when the pool went down
            if job.broken >= 2:
                job.future = _done(Parsed(kind=job.reader.name, skipped=why))
            else:
                job.future = self._send(job.reader, job.rel, job.data)


@contextmanager
def parsers(workers: int | None = None, page_seconds: float | None = None) -> Iterator[Parsers]:
    """Parsers for one corpus (`workers` None: one per core); its pool starts only when a heavy file comes."""
    count = max(1, workers if workers is not None else os.cpu_count() or 1)
    parse = Parsers(count, page_seconds)
    try:
        yield parse
    finally:
        parse.close()


def _kill(pool: ProcessPoolExecutor) -> None:
    # ProcessPoolExecutor has no public way to stop a worker in the middle of a call before Python 3.14
    # (`kill_workers`); its process table has been `_processes` since 3.2.
    for pid in list((getattr(pool, "_processes", None) or {}).keys()):
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _pages(documents: list[Document]) -> int:
    """Pages of a reader that does not time them: the slides or sheets its blocks stand on."""
    return len({(doc.id, block.page) for doc in documents for block in doc.blocks if block.page is not None})


def _done(parsed: Parsed) -> Future[Parsed]:
    future: Future[Parsed] = Future()
    future.set_result(parsed)
    return future
