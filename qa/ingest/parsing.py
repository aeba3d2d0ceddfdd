"""Files parsed in order, the heavy ones in worker processes: a process per core for PDFs and Office files.

Parsing a PDF is pure CPU (characters, boxes, tables), so on two cores two PDFs parse at once
while the build reads the next file. Text files parse faster than a process hop, so they stay in
this process. Results come back in file order, with at most `ahead` files read and waiting, so a
folder of large PDFs is never held in memory at once. Workers are spawned, not forked: the
process that builds an index has loaded the embedding model, whose threads a fork would copy.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import get_context

from qa.ingest import readers
from qa.ingest.documents import Document
from qa.ingest.readers import Reader, Skip

log = logging.getLogger(__name__)


@dataclass
class Parsed:
    """One file's documents, the parts of it that could not be read, or why it was skipped whole."""

    documents: list[Document] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (where, why)
    skipped: str | None = None


def parse(rel: str, data: bytes) -> Parsed:
    """Read one file with the reader its content and name choose."""
    try:
        reader = readers.choose(rel, data)
    except Skip as exc:
        return Parsed(skipped=str(exc))
    return read_with(reader, rel, data)


def read_with(reader: Reader, rel: str, data: bytes) -> Parsed:
    """Read one file with its chosen reader (in this process or a worker: readers pickle)."""
    parsed = Parsed()
    try:
        parsed.documents = reader.read(rel, data, lambda where, why: parsed.problems.append((where, why)))
    except Skip as exc:
        parsed.skipped = str(exc)
    except Exception as exc:  # a reader's own fault must cost one file, never the build and the others
        log.exception("reading %s failed", rel)
        parsed.skipped = f"could not be read ({type(exc).__name__}: {exc}); the log has the details"
    return parsed


class Parsers:
    """Where each file is parsed: in a pool of `workers` processes for binary formats, else here."""

    def __init__(self, pool: ProcessPoolExecutor | None, workers: int) -> None:
        self.pool = pool
        self.ahead = 2 * workers  # files read and waiting for a worker

    def submit(self, rel: str, data: bytes) -> Future[Parsed]:
        # Chosen once, here: sniffing an Office file opens its ZIP directory, not worth doing twice.
        try:
            reader = readers.choose(rel, data)
        except Skip as exc:
            return _done(Parsed(skipped=str(exc)))
        if self.pool is not None and reader.binary:
            try:
                return self.pool.submit(read_with, reader, rel, data)
            except BrokenProcessPool:  # a worker died (killed for memory): the rest are parsed here
                log.error("a parse worker died; the remaining files are read in this process")
                self.pool = None
        return _done(read_with(reader, rel, data))


def result(future: Future[Parsed]) -> Parsed:
    """A file's parse, or why it has none when the worker reading it died (killed for its memory)."""
    try:
        return future.result()
    except BrokenProcessPool:
        return Parsed(skipped="the process reading it died (out of memory?); it was not read")


@contextmanager
def parsers(workers: int | None = None) -> Iterator[Parsers]:
    """Parsers for one corpus; the pool starts only when a heavy file comes (`workers` None: every core)."""
    count = max(1, workers if workers is not None else os.cpu_count() or 1)
    pool = ProcessPoolExecutor(max_workers=count, mp_context=get_context("spawn")) if count > 1 else None
    try:
        yield Parsers(pool, count)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _done(parsed: Parsed) -> Future[Parsed]:
    future: Future[Parsed] = Future()
    future.set_result(parsed)
    return future
