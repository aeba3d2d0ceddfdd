"""An export drops the exporter's and quantizer's noise, and nothing else (embeddings.quiet)."""

from __future__ import annotations

import logging
import warnings

import pytest
from torch.jit import TracerWarning

from embeddings.quiet import quiet_export


def test_the_exporters_noise_is_dropped_and_other_warnings_still_show(caplog: pytest.LogCaptureFixture) -> None:
    with warnings.catch_warnings(record=True) as shown, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        with quiet_export():
            warnings.warn("Converting a tensor to a Python boolean might cause the trace", TracerWarning, stacklevel=1)
            logging.warning("Please consider to run pre-processing before quantization. Refer to example: ...")
            warnings.warn("a weight is out of range", RuntimeWarning, stacklevel=1)
            logging.getLogger("embeddings.onnx_engine").warning("the fused graph disagrees with the plain one")
        logging.warning("Please consider to run pre-processing before quantization.")  # outside: shown
    assert [str(w.message) for w in shown] == ["a weight is out of range"]
    assert [r.getMessage()[:30] for r in caplog.records] == [
        "the fused graph disagrees with",
        "Please consider to run pre-pro",
    ]
