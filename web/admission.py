"""Admission control: a bounded number of questions in flight per worker, the rest told to retry.

A worker that accepted every request would queue them until clients or gunicorn time out, and
answer nobody in time. Each question takes a slot; when none frees up within a short wait the
request is answered at once with 429 and Retry-After, which a client can act on.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

from qa.errors import RagqaError

DEFAULT_SLOTS = 1  # torch already spreads one question over the worker's share of the cores
DEFAULT_WAIT = 2.0  # seconds a question may queue for a slot
RETRY_AFTER = 1  # seconds


class Overloaded(RagqaError):
    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, retry_after: int = RETRY_AFTER) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Admission:
    """Slots for questions in flight in this worker."""

    def __init__(self, slots: int = DEFAULT_SLOTS, wait: float = DEFAULT_WAIT) -> None:
        self.slots = max(1, slots)
        self.wait = max(0.0, wait)
        self._free = threading.BoundedSemaphore(self.slots)

    @contextmanager
    def slot(self) -> Iterator[None]:
        """Hold a slot for the body of the block, or raise Overloaded after the wait."""
        if not self._free.acquire(timeout=self.wait):
            raise Overloaded(f"the server is busy ({self.slots} questions in flight per worker); retry in {RETRY_AFTER} s")
        try:
            yield
        finally:
            self._free.release()
