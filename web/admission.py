"""Admission control: a bounded queue of questions per worker, the rest told to retry at once.

A worker that accepted every request would queue them until clients or gunicorn time out, and
answer nobody in time. Each question takes a slot; at most `depth` more wait for one, each for
at most `wait` seconds. A question that finds the queue full, or waits out its time, is answered
429 with Retry-After, which a client can act on. Requests that are not questions (health checks,
the page, feedback) never enter the queue.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from qa.errors import RagqaError

DEFAULT_SLOTS = 1  # torch already spreads one question over the worker's share of the cores
DEFAULT_DEPTH = 8  # questions that may wait behind the ones in flight, per worker
DEFAULT_WAIT = 5.0  # seconds a queued question may wait for a slot
RETRY_AFTER = 1  # seconds


class Overloaded(RagqaError):
    status = 429
    code = "too_many_requests"

    retry_after = RETRY_AFTER


class Admission:
    """Slots for questions in flight in this worker, and a bounded queue in front of them."""

    def __init__(self, slots: int = DEFAULT_SLOTS, wait: float = DEFAULT_WAIT, depth: int = DEFAULT_DEPTH) -> None:
        self.slots = max(1, slots)
        self.wait = max(0.0, wait)
        self.depth = max(0, depth)
        self._free = threading.BoundedSemaphore(self.slots)
        self._lock = threading.Lock()
        self._waiting = 0

    @property
    def waiting(self) -> int:
        """Questions queued for a slot right now."""
        return self._waiting

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a slot for the body of the block, or raise Overloaded (queue full, or wait over)."""
        if not self._free.acquire(blocking=False):
            self._queue()
        try:
            yield
        finally:
            self._free.release()

    def _queue(self) -> None:
        with self._lock:
            if self._waiting >= self.depth:
                raise Overloaded(
                    f"the server is busy ({self.slots} question(s) in flight and {self.depth} waiting "
                    f"per worker); retry in {RETRY_AFTER} s"
                )
            self._waiting += 1
        try:
            admitted = self._free.acquire(timeout=self.wait)
        finally:
            with self._lock:
                self._waiting -= 1
        if not admitted:
            raise Overloaded(f"the server is busy (no answer slot within {self.wait:g} s); retry in {RETRY_AFTER} s")
