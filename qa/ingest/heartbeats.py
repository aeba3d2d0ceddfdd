"""Signs of life from parse workers: each file and each page it begins, so a worker stuck for good is found.

A page's own timer (`qa.ingest.readers.page_clock`) cannot stop C code that never returns (a
renderer in an endless loop, a decoder waiting on itself). The build sees such a worker only from
outside: it began a file and then no page for longer than a page may take. Each pool of workers
gets its own queue: a worker killed while it writes may leave the queue's lock held, and the pool
it belonged to, queue and all, is then replaced.
"""

from __future__ import annotations

import queue
import time
from multiprocessing.context import SpawnContext
from multiprocessing.queues import Queue


class Heartbeats:
    """The build's side: when each file last showed progress."""

    def __init__(self, ctx: SpawnContext) -> None:
        self.queue: Queue[str] = ctx.Queue()
        self.last: dict[str, float] = {}  # file -> when its latest beat was seen here (time.monotonic)

    def drain(self) -> None:
        """Take in the beats sent so far."""
        while True:
            try:
                rel = self.queue.get_nowait()
            except queue.Empty:
                return
            self.last[rel] = time.monotonic()

    def close(self) -> None:
        self.queue.close()
        self.queue.cancel_join_thread()


# The worker's side. A pool worker process runs one file at a time for the life of its pool; the
# queue it beats into comes through the pool's initializer, the one way a queue reaches a worker.
_worker_queue: Queue[str] | None = None


def start_worker(beats: Queue[str]) -> None:
    """Pool initializer: remember the queue the worker's beats go to."""
    global _worker_queue
    _worker_queue = beats
    # Beats are worth nothing once their build is gone: a worker must never wait at exit to flush them.
    beats.cancel_join_thread()


def beat(rel: str) -> None:
    """Tell the build that `rel` is making progress (a file or page begun); nothing outside a pool worker."""
    if _worker_queue is not None:
        _worker_queue.put_nowait(rel)
