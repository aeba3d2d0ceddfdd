"""Fuse an exported BERT graph's attention into ONNX Runtime's own kernels before it is quantized.

torch's exporter writes attention as some thirty small ops (and, for PyTorch's fused SDPA path, a
pattern ONNX Runtime's transformer optimizer does not recognise). Exported with eager attention, the
optimizer folds each layer into one `Attention` node (and `SkipLayerNormalization`, `BiasGelu`),
which dynamic quantization then turns into `QAttention`. On two cores that made the e5 reader's
192-token window 32 -> 26 ms and e5's passage encoding 5.4k -> 7.8k characters/s, at the same
cosine to torch (docs/performance.md).

The embedding LayerNorm is left unfused on purpose: its fused form quantizes the LayerNorm weights
too, which cost the reader 0.8 F1. (Unfused, dynamic quantization still gives the 250k-row word
table one scale for the whole table; a scale per row changes nothing measurable for questions:
docs/quality.md, "Cross-lingual question vectors".)

A fused graph is kept only if it computes what the unfused one does on the export's sample inputs;
anything else (another architecture, an optimizer that finds nothing to fuse) keeps the plain graph.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from transformers import PretrainedConfig, PreTrainedModel

log = logging.getLogger(__name__)

FUSABLE = ("bert",)  # config.model_type values the optimizer's "bert" fusions are written for
TOLERANCE = 1e-3  # largest difference allowed between the fused and the plain graph's outputs


def fuse(raw: Path, out: Path, config: PretrainedConfig, sample: dict[str, np.ndarray]) -> bool:
    """Write `raw` with its attention fused to `out`; False (nothing written) when it cannot be.

    Args:
        config: the model's transformers config (model_type, num_attention_heads, hidden_size).
        sample: model inputs the fused graph must answer as the plain one does.
    """
    if config.model_type not in FUSABLE:
        return False
    from onnxruntime.transformers import optimizer
    from onnxruntime.transformers.fusion_options import FusionOptions

    options = FusionOptions("bert")
    options.enable_embed_layer_norm = False  # keeps the word table's per-row quantization (see above)
    try:
        model = optimizer.optimize_model(
            str(raw),
            model_type="bert",
            num_heads=int(config.num_attention_heads),
            hidden_size=int(config.hidden_size),
            opt_level=0,  # the fusions only; ONNX Runtime applies its own graph optimizations at load
            optimization_options=options,
        )
    except Exception as exc:  # the optimizer raises whatever its pattern matching meets
        log.warning("attention fusion failed (%s); keeping the plain graph", exc)
        return False
    if not model.get_fused_operator_statistics().get("Attention"):
        return False
    model.save_model_to_file(str(out))
    if _same_outputs(raw, out, sample):
        return True
    out.unlink()
    log.warning("the fused graph disagrees with the plain one; keeping the plain graph")
    return False


@contextmanager
def eager_attention(model: PreTrainedModel) -> Iterator[None]:
    """The model with eager attention while exporting (the form the optimizer fuses; PyTorch's SDPA
    exports otherwise), then back to what it ran with (the same numbers, faster in torch)."""
    previous = model.config._attn_implementation
    model.set_attn_implementation("eager")
    try:
        yield
    finally:
        model.set_attn_implementation(previous)


def _same_outputs(a: Path, b: Path, sample: dict[str, np.ndarray]) -> bool:
    import onnxruntime as ort

    outputs = [ort.InferenceSession(str(p), providers=["CPUExecutionProvider"]).run(None, sample) for p in (a, b)]
    return all(x.shape == y.shape and float(np.max(np.abs(x - y))) <= TOLERANCE for x, y in zip(outputs[0], outputs[1]))
