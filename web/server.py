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


def serve(index_dir: str, model: str | None, host: str, port: int, workers: int, timeout: int) -> None:
    """Run gunicorn in the foreground until interrupted."""
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "sync",
        "timeout": timeout,
        "graceful_timeout": 10,
        "preload_app": False,
        "backlog": 128,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "info",
    }
    threads = max(1, (os.cpu_count() or 1) // max(1, workers))
    RagqaServer(options, {"RAGQA_INDEX": index_dir, "RAGQA_MODEL": model}, threads).run()
