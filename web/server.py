"""Production serving with gunicorn: each worker builds the app (and loads the model) after fork.

Loading torch before fork and inferring in the forked children hangs, so the app is never
preloaded in the master process.
"""

from __future__ import annotations

import os
from typing import Any

from gunicorn.app.base import BaseApplication


class RagqaServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, options: dict[str, Any], app_config: dict[str, Any], threads_per_worker: int) -> None:
        self.options = options
        self.app_config = app_config
        self.threads_per_worker = threads_per_worker
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):  # type: ignore[no-untyped-def]
        # Runs in each worker after fork: split the cores between workers, then load the model.
        import torch

        torch.set_num_threads(self.threads_per_worker)
        from web import create_app

        return create_app(self.app_config)


def serve(index_dir: str, model: str | None, host: str, port: int, workers: int, timeout: int,
          threads: int = 8, queue_wait: float = 2.0, reload_interval: float = 1.0) -> None:
    """Run gunicorn in the foreground until interrupted.

    Threaded workers accept more connections than they answer at once, so a question beyond a
    worker's one slot waits `queue_wait` seconds at most and is then answered 429 (web.admission),
    instead of queueing in the socket backlog until the client times out.
    """
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
        "threads": threads,
        "timeout": timeout,
        "graceful_timeout": 10,
        "preload_app": False,
        "backlog": 128,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "info",
    }
    torch_threads = max(1, (os.cpu_count() or 1) // max(1, workers))
    app_config = {"RAGQA_INDEX": index_dir, "RAGQA_MODEL": model, "RAGQA_QUEUE_WAIT": queue_wait,
                  "RAGQA_RELOAD_INTERVAL": reload_interval}
    RagqaServer(options, app_config, torch_threads).run()
