"""A long one-time step is one plain line, not a warning (embeddings.progress.step)."""

from __future__ import annotations

import io
import logging

from embeddings.progress import STEPS, show_steps, step


def test_a_step_is_one_plain_line_and_never_reaches_the_root_logger(caplog) -> None:
    stream = io.StringIO()
    saved = STEPS.handlers[:], STEPS.level, STEPS.propagate
    STEPS.handlers.clear()
    try:
        show_steps(stream)
        show_steps(stream)  # once per process, however often the CLI's group runs
        with caplog.at_level(logging.DEBUG):
            step("preparing %s for this machine once", "multilingual-e5-small")
        assert stream.getvalue() == "preparing multilingual-e5-small for this machine once\n"
        assert not [r for r in caplog.records if r.name == "ragqa.steps"]  # no "WARNING …" copy
    finally:
        STEPS.handlers[:], STEPS.level, STEPS.propagate = saved[0], saved[1], saved[2]
