"""Silence what torch's ONNX exporter and ONNX Runtime's quantizer say that no user can act on.

An export runs once per machine, on `ragqa serve`'s first start or `ragqa model export`. Unchecked,
it prints torch's `TracerWarning`s about Python booleans in transformers' masking code (traced as
constants, which is what a fixed graph wants), a `UserWarning` on how opset 17 spells advanced
indexing, and, through the root logger, ONNX Runtime's hint to "run pre-processing before
quantization" (shape inference for static quantization; dynamic int8 gains nothing from it). Each
graph is checked against torch after export (`embeddings.onnx_fusion`, tests/integration/embeddings/
test_onnx.py), which is what would catch a trace gone wrong; the messages themselves say nothing
about these graphs. Anything else the exporter warns about still shows.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager

_HINTS = ("Please consider to run pre-processing before quantization",)


class _DropHints(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not any(hint in record.getMessage() for hint in _HINTS)


@contextmanager
def quiet_export() -> Iterator[None]:
    """Within: torch's tracer and opset warnings and ONNX Runtime's pre-processing hint are dropped."""
    hints = _DropHints()
    root = logging.getLogger()
    root.addFilter(hints)  # the quantizer logs through the root logger itself (logging.warning)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"Converting a tensor to a Python", module=r"transformers\.")
            warnings.filterwarnings("ignore", category=UserWarning, module=r"torch\.onnx\.")
            try:
                from torch.jit import TracerWarning
            except ImportError:  # torch absent: only the quantizer runs (the questions' graph)
                pass
            else:
                warnings.filterwarnings("ignore", category=TracerWarning)
            yield
    finally:
        root.removeFilter(hints)
