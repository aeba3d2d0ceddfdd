"""Export the models' ONNX graphs once, before gunicorn starts its workers.

A worker that finds a graph missing exports it itself: torch is imported into it (hundreds of MB it
keeps until restarted) and it is not ready for half a minute, in every worker at once. So `ragqa
serve` first looks for the graphs the workers will load (cheap: paths from the model folders'
configs) and, when one is missing, runs `ragqa model export` in a child process: the master
process itself must never import torch before it forks (web.server).
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from embeddings.encoder import exported_graph
from embeddings.progress import step
from qa.config import Settings
from qa.errors import IndexUnavailable, RagqaError
from qa.reading import router
from qa.reading.trained import span_logits
from qa.store import read_manifest

log = logging.getLogger(__name__)


def missing_graphs(index_dir: str, model: str | None, settings: Settings) -> tuple[list[Path], list[str]]:
    """The graphs the workers would have to export, and the `ragqa model export` options for them.

    The embedding model and engine are the index's own (or, before any index is built, the ones
    `ragqa index` would use); the readers and their engine are the server's settings."""
    try:
        built = read_manifest(index_dir).get("model", {})
    except IndexUnavailable:
        built = {}
    name = model or built.get("id") or settings.model
    inference = built.get("inference") or settings.inference
    wanted = [exported_graph(name, inference)]
    for folder in router.reader_folders(settings.reader_dir):
        if settings.reader_inference != "torch":
            wanted.append(span_logits.exported_path(folder, quantized=settings.reader_inference == "onnx-int8"))
    options = ["--inference", inference, "--reader-inference", settings.reader_inference]
    options += ["--model", name] if name else []
    options += ["--reader", settings.reader_dir] if settings.reader_dir else []
    return [path for path in wanted if path is not None and not path.is_file()], options


def export_first(
    index_dir: str,
    model: str | None,
    settings: Settings,
    run: Callable[..., Any] = subprocess.run,
) -> bool:
    """Export what the workers would otherwise export themselves; True when an export ran.

    A failed export is logged and left to the workers, which report it as they load."""
    try:
        missing, options = missing_graphs(index_dir, model, settings)
    except RagqaError as exc:  # a model not installed: the workers say so, with the index's context
        log.warning("cannot tell which model graphs the workers need (%s)", exc)
        return False
    if not missing:
        return False
    step("preparing %d model graph(s) for this machine before the workers start (once)", len(missing))
    done = run([sys.executable, "-m", "qa", "model", "export", *options], check=False)
    if done.returncode != 0:
        log.warning("the export failed (exit %s); each worker will try as it loads", done.returncode)
    return True
