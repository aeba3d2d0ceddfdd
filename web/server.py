"""Production serving with gunicorn: each worker builds the app (and loads the model) after fork.

Loading torch (or an inference session's thread pool) before fork and inferring in the forked
children hangs, so the app is never preloaded in the master process.
"""

from __future__ import annotations

import errno
import os
import socket
from dataclasses import dataclass, replace
from typing import Any

from gunicorn.app.base import BaseApplication

from qa.config import Settings
from qa.errors import RagqaError
from web import metrics
from web.admission import DEFAULT_DEPTH, DEFAULT_WAIT
from web.exports import export_first

DEFAULT_THREADS = 16  # per worker: 1 question answered + DEFAULT_DEPTH queued + the rest for probes and pages


class RagqaServer(BaseApplication):
    def __init__(self, options: dict[str, Any], app_config: dict[str, Any], threads_per_worker: int) -> None:
        self.options = options
        self.app_config = app_config
        self.threads_per_worker = threads_per_worker  # the engines' threads in each worker
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        # Runs in each worker after fork: the worker's share of the cores goes to its engines.
        from web import create_app

        return create_app({**self.app_config, "RAGQA_ENGINE_THREADS": self.threads_per_worker})


def check_queueing(threads: int, queue_depth: int) -> None:
    """Refuse thread and queue settings that would leave health checks waiting behind questions and feedback."""
    from web.state import FEEDBACK_QUEUE_DEPTH, FEEDBACK_SLOTS

    # 1 question answered, the questions queued, the feedback stored and queued, and one thread to spare.
    needed = 1 + queue_depth + FEEDBACK_SLOTS + FEEDBACK_QUEUE_DEPTH + 1
    if threads < needed:
        raise RagqaError(
            f"--threads {threads} leaves no thread for health checks beside 1 question, {queue_depth} queued "
            f"and {FEEDBACK_SLOTS + FEEDBACK_QUEUE_DEPTH} feedback posts; use at least {needed}"
        )


def check_port(host: str, port: int) -> None:
    """Refuse a port another process listens on, before anything says "serving": gunicorn would
    retry for five seconds and exit with a log line about a worker that never started."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise RagqaError(f"cannot serve on {host}: {exc.strerror or exc}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds: TIME_WAIT is no conflict
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise RagqaError(
                    f"port {port} on {host} is in use by another process; stop it or choose another with --port"
                ) from None
            raise RagqaError(f"cannot serve on {host}:{port}: {exc.strerror or exc}") from None


@dataclass(frozen=True)
class ServeSettings:
    """How `ragqa serve` serves an index: what, where, and how many questions each worker holds.

    `milvus_uri` and `milvus_bm25` say how workers reach an index whose vectors are in Milvus
    (`qa.store.backend.BackendSettings`); `reader_inference` None keeps `qa.config.Settings`'s engine,
    `engine_threads` None gives each worker's engines its share of the cores.
    """

    index_dir: str
    model: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 2
    timeout: int = 60
    threads: int = DEFAULT_THREADS
    queue_depth: int = DEFAULT_DEPTH
    queue_wait: float = DEFAULT_WAIT
    reload_interval: float = 1.0
    engine_threads: int | None = None
    reader_inference: str | None = None
    milvus_uri: str | None = None
    milvus_bm25: bool = True
    data_dir: str | None = None  # the named collections' folder; None: RAGQA_DATA or its default

    def check(self) -> None:
        """Refuse, in one line, settings that could not serve, before anything says "serving"."""
        check_queueing(self.threads, self.queue_depth)
        check_port(self.host, self.port)


def serve(settings: ServeSettings) -> None:
    """Run gunicorn in the foreground until interrupted.

    Each worker hands every connection it accepts to a thread at once (worker_connections equals
    threads), so no request waits unseen inside gunicorn. A question beyond the worker's one slot
    joins a queue of at most `queue_depth`, waits `queue_wait` seconds at most, and is otherwise
    answered 429 at once (web.admission); threads beyond slot + queue stay free for health checks
    and the page. Connections a worker cannot take yet stay in the listen backlog, where the other
    workers can take them.
    """
    check_queueing(settings.threads, settings.queue_depth)
    options = {
        "bind": f"{settings.host}:{settings.port}",
        "workers": settings.workers,
        "worker_class": "gthread",
        "threads": settings.threads,
        "worker_connections": settings.threads,
        # Every connection holds a thread until it closes, so none is kept open idle: with keepalive
        # on, gunicorn would warn at every start that no kept-alive connection can be handled.
        "keepalive": 0,
        "timeout": settings.timeout,
        "graceful_timeout": 10,
        "preload_app": False,
        "backlog": 128,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "info",
        # gunicorn 25.1+ opens a control socket by default at one path per user
        # ($XDG_RUNTIME_DIR/gunicorn.ctl or ~/.gunicorn/gunicorn.ctl): every server on the host would
        # take it from the one before, and remove it for all when it stops. ragqa has no use for it.
        "control_socket_disable": True,
        # One JSON line per request, with its X-Request-Id (web.request_id).
        "logger_class": "web.access_log.JsonAccessLogger",
        "child_exit": lambda server, worker: metrics.worker_exited(worker.pid),
    }
    # Each worker's share of the cores by default; more lets one question use idle cores (a lone
    # client gets its answer sooner) at the cost of workers contending when all are busy.
    threads_per_worker = settings.engine_threads or max(1, (os.cpu_count() or 1) // max(1, settings.workers))
    app_config = {
        "RAGQA_INDEX": settings.index_dir,
        "RAGQA_MODEL": settings.model,
        "RAGQA_QUEUE_WAIT": settings.queue_wait,
        "RAGQA_QUEUE_DEPTH": settings.queue_depth,
        "RAGQA_RELOAD_INTERVAL": settings.reload_interval,
        "RAGQA_MILVUS_URI": settings.milvus_uri,
        "RAGQA_MILVUS_BM25": settings.milvus_bm25,
        **({"RAGQA_DATA": settings.data_dir} if settings.data_dir else {}),
        **({"RAGQA_READER_INFERENCE": settings.reader_inference} if settings.reader_inference else {}),
    }
    config = Settings.from_env()
    export_first(
        settings.index_dir,
        settings.model,
        replace(config, reader_inference=settings.reader_inference or config.reader_inference),
    )
    with metrics.multiprocess_folder():  # every worker's counts, for /metrics to add up
        RagqaServer(options, app_config, threads_per_worker).run()
