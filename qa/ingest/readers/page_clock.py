"""A time limit for each page a reader reads (a PDF page's text layer, its OCR, an image frame), and a count of them.

A page that takes too long (a content stream of a million tiny paths, an OCR pass on a poster-sized
scan) is given up and reported; the rest of its document is kept. Inside a parse worker the page is
interrupted when its time is up: a SIGALRM timer raises `PageOver` at the next Python instruction,
which stops pdfminer's pure-Python parsing where it is, and stops OCR as soon as the engine's C call
returns. Where no timer can be set (outside the main thread, or a SIGALRM the process already
uses) the page is dropped once it ends late. A page stuck inside C code for good is beyond any
timer in its own process: `qa.ingest.parsing` kills the worker from outside when its pages stop
coming (`Heartbeats`).

Readers find the clock of the file they read with `current()`: it is set by whoever calls the reader
(`qa.ingest.parsing.read_with`), so the `Reader` contract stays the same for every format and a
reader called on its own (a test, a script) gets a clock without a limit.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import FrameType, TracebackType
from typing import Any

# Settings name the limit in messages so a user knows what to raise.
SETTING = "RAGQA_PAGE_SECONDS"
_REPEAT = 1.0  # seconds between further alarms, should a library swallow the first PageOver


class PageOver(BaseException):
    """A page ran past its time limit.

    A BaseException, like KeyboardInterrupt: raised wherever the page's code happens to be, it must
    not be caught by a library's own `except Exception` and taken for a damaged page.
    """

    def __init__(self, seconds: float) -> None:
        super().__init__(f"took over {seconds:g} s to read; skipped ({SETTING} sets the limit)")
        self.seconds = seconds


class PageClock:
    """Times each page of one file against `seconds` (None: no limit) and counts the pages.

    Args:
        seconds: the most one page may take.
        beat: called as each page begins, to show the parse is alive (`qa.ingest.heartbeats`).
    """

    def __init__(self, seconds: float | None = None, beat: Callable[[], None] | None = None) -> None:
        self.seconds = seconds
        self._beat = beat or (lambda: None)
        self._numbers: set[int] = set()

    @property
    def pages(self) -> int:
        """Pages begun (a PDF page read for its text and then by OCR counts once)."""
        return len(self._numbers)

    def page(self, number: int) -> _Page:
        """Time page `number` (1-based) in a `with` block, which raises PageOver when it runs past the limit."""
        self._numbers.add(number)
        self._beat()
        return _Page(self.seconds)


class _Page:
    """One page's time: a SIGALRM timer where the process allows one, and a look at the clock at the end."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.started = 0.0
        self.previous: Any = None  # the SIGALRM handler the timer replaced; None: no timer set

    def __enter__(self) -> None:
        self.started = time.monotonic()
        if self.seconds is None or threading.current_thread() is not threading.main_thread():
            return  # no limit, or no timer: signals reach the main thread only
        previous = signal.getsignal(signal.SIGALRM)
        if previous not in (signal.SIG_DFL, signal.SIG_IGN) or signal.getitimer(signal.ITIMER_REAL)[0]:
            return  # the process already uses the alarm (a test runner's timeout): leave it alone
        self.previous = previous
        signal.signal(signal.SIGALRM, _interrupt(self.seconds))
        # Repeating: should a library catch the first PageOver as if it were its own error, the next one comes.
        signal.setitimer(signal.ITIMER_REAL, self.seconds, _REPEAT)

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.previous is not None:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self.previous)
        if kind is None and self.seconds is not None and time.monotonic() - self.started > self.seconds:
            raise PageOver(self.seconds)  # no timer here, or one that came too late: the late page is dropped


def _interrupt(seconds: float) -> Callable[[int, FrameType | None], None]:
    def over(signum: int, frame: FrameType | None) -> None:
        # Not while this module's own code runs (the page's end, putting the old handler back): an alarm
        # that lands there must not escape the `with` block; the page's end looks at the clock instead.
        if frame is None or frame.f_globals.get("__name__") != __name__:
            raise PageOver(seconds)

    return over


_current: ContextVar[PageClock | None] = ContextVar("page_clock", default=None)


def current() -> PageClock:
    """The clock of the file being read, or one without a limit when no caller set one."""
    return _current.get() or PageClock()


@contextmanager
def timing(clock: PageClock) -> Iterator[PageClock]:
    """Make `clock` the one readers get from `current()` while one file is read."""
    token = _current.set(clock)
    try:
        yield clock
    finally:
        _current.reset(token)
