"""A pipeline that follows its index root's pointer: a server picks up new versions without restart.

Each request asks `current()`. At most once per `interval` seconds that reads the root's small
pointer file; when it names another version, the new pipeline is loaded (reusing the loaded
encoder model) and swapped in by one assignment, so a request in flight finishes on the version
it started with. A version that fails to load (corrupt, truncated, another model) is refused:
the last good pipeline keeps serving and `status()` says why. When nothing serves yet (a fresh
start on a root whose live version is damaged), the newest other version that loads serves
instead, and `status()` says that too: a stale answer with a warning beats 503 everywhere while
the previous good version is still on disk.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qa.errors import IndexUnavailable, RagqaError
from qa.pipeline import Pipeline
from qa.store import versions

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 1.0

# (root, version name or None for the live one, the pipeline serving now or None) -> a new pipeline
Loader = Callable[[Path, "str | None", "Pipeline | None"], Pipeline]


class LivePipeline:
    """The pipeline of the version the root's pointer names; the last good one while a new one is refused."""

    def __init__(
        self,
        root: str | Path,
        loader: Loader,
        interval: float = DEFAULT_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root = Path(root)
        self.loader = loader
        self.interval = interval
        self.clock = clock
        self.pipeline: Pipeline | None = None
        self.error: RagqaError | None = None  # why the pointed-to version is not the one serving
        self.refused: str | None = None  # the version that error is about
        self.fallback = False  # serving another version than the pointer names, which was refused
        self._seen: str | None = None  # the pointer value last acted on
        self._checked = float("-inf")
        self._lock = threading.Lock()
        self.refresh(force=True)

    def current(self) -> Pipeline:
        """The pipeline to answer this request with (raises the load error when there is none)."""
        self.refresh()
        pipeline = self.pipeline
        if pipeline is None:
            raise self.error or IndexUnavailable("the index is not loaded")
        return pipeline

    def refresh(self, force: bool = False) -> None:
        """Reload when the pointer moved; cheap (a clock read) between checks."""
        now = self.clock()
        if not force and now - self._checked < self.interval:
            return
        if not self._lock.acquire(blocking=force):
            return  # another thread is checking or loading; this request keeps the current pipeline
        try:
            self._checked = now
            target = versions.pointer(self.root)
            if not force and target == self._seen:
                return
            self._seen = target
            self._load(target)
        finally:
            self._lock.release()

    def _load(self, target: str | None) -> None:
        try:
            fresh = self._try(target)
        except RagqaError as exc:
            self._refuse(target, exc)
            return
        previous = self.pipeline.version if self.pipeline else None
        self.pipeline, self.error, self.refused, self.fallback = fresh, None, None, False
        if previous is not None:
            log.warning("index version %s now serving (was %s)", fresh.version, previous)

    def _try(self, version: str | None) -> Pipeline:
        try:
            return self.loader(self.root, version, self.pipeline)
        except RagqaError:
            raise
        except Exception as exc:  # a worker must keep serving what it has, whatever a new version holds
            log.exception("index version %s could not be loaded", version)
            raise IndexUnavailable(f"the index could not be loaded ({exc.__class__.__name__}: {exc})") from exc

    def _refuse(self, target: str | None, exc: RagqaError) -> None:
        self.error, self.refused = exc, target
        if self.pipeline is not None:
            log.error("index version %s refused, still serving %s: %s", target, self.pipeline.version, exc.message)
            return
        fallback = self._newest_loading(skip=target)
        if fallback is None:
            log.error("pipeline not loaded: %s", exc.message)
            return
        self.pipeline, self.fallback = fallback, True
        log.error(
            "index version %s refused (%s); serving version %s instead until a good one is built",
            target,
            exc.message,
            fallback.version,
        )

    def _newest_loading(self, skip: str | None) -> Pipeline | None:
        """The pipeline of the newest complete version other than `skip` that loads, if any."""
        for name in reversed(versions.names(self.root)):
            if name == skip:
                continue
            try:
                return self._try(name)
            except RagqaError as exc:
                log.error("index version %s cannot serve either: %s", name, exc.message)
        return None

    def status(self) -> dict[str, Any]:
        """Readiness: what serves (and whether in place of a refused live version), what was refused and why."""
        pipeline = self.pipeline
        status: dict[str, Any] = {"ready": pipeline is not None}
        if pipeline is not None:
            status["serving"] = pipeline.version
            status["fallback"] = self.fallback
        if self.error is not None:
            status["refused"] = {"version": self.refused, "reason": self.error.message}
        return status
