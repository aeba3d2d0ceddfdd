"""Progress over a long pass (embedding a collection): tqdm's bar on a terminal, a line now and then in a log;
and one plain line when a long one-time step starts (`step`: exporting a model to ONNX).

A build whose stderr goes to a file or a pipe (a service manager, `ragqa index 2>build.log`, CI) showed
nothing for minutes on a big collection. There a bar redrawn with carriage returns is noise, so it is
written as whole lines, at most one per `LOG_EVERY` seconds, plus the first and the last.
"""

from __future__ import annotations

import logging
import sys
from typing import IO, Any

LOG_EVERY = 30.0  # seconds between lines in a log
# A one-time step is news, not a fault: logged as a WARNING it read as one ("WARNING … exporting the
# reader…" on a first `make run`). The CLI prints this logger's lines as they are (`show_steps`).
STEPS = logging.getLogger("ragqa.steps")


def step(message: str, *args: object) -> None:
    """Say that a long step runs now, once (an ONNX export): one plain line where steps are shown."""
    STEPS.info(message, *args)


def show_steps(stream: IO[str] | None = None) -> None:
    """Print steps as plain lines on `stream` (stderr), once per process; the rest of logging is untouched."""
    if not STEPS.handlers:
        handler = logging.StreamHandler(stream)
        handler.setFormatter(logging.Formatter("%(message)s"))
        STEPS.addHandler(handler)
    STEPS.setLevel(logging.INFO)
    STEPS.propagate = False  # not again through the root logger's "LEVEL name:" format


class _Lines:
    """A stream for tqdm that turns each redraw into one line."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, text: str) -> None:
        line = text.replace("\r", "").strip()
        if line:
            self.stream.write(line + "\n")

    def flush(self) -> None:
        self.stream.flush()


def bar(total: int, enabled: bool = True, desc: str = "embedding", unit: str = "passage", delay: float = 0) -> Any:
    """A tqdm bar on stderr (a no-op one when not enabled).

    Args:
        delay: seconds before it shows at all: a pass that ends sooner (reading a few text files) prints nothing.
    """
    from tqdm import tqdm

    if not enabled or sys.stderr.isatty():
        return tqdm(total=total, unit=unit, desc=desc, disable=not enabled, delay=delay)
    return tqdm(
        total=total,
        unit=unit,
        desc=desc,
        file=_Lines(sys.stderr),
        mininterval=LOG_EVERY,
        ascii=True,
        ncols=100,
        delay=delay,
    )
