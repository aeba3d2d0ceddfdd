"""The engines a trained reader runs on: start/end logits for a batch of token windows.

torch fp32 is the reference. ONNX Runtime runs the same graph (identical answers, ~1.4x faster on
two cores) or, with `onnx-int8`, its weights quantized to int8 per output channel (~2.2x faster;
on 120 gold paragraphs of DRCD test fold 1/4 EM 54.2 / F1 69.0 against fp32's 55.0 / 68.6). torch's
own dynamic quantization (per-tensor weights, 7-bit activations) cost the 12-layer e5 reader 17
points of EM; per-channel weight scales are what keep it (docs/performance.md has the layer study).

Exported graphs live in the model cache under a digest of the reader's weights and base, so a
retrained reader is exported again, never confused with the old one.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from embeddings.models import models_dir
from embeddings.onnx_engine import GRAPH_VERSION, export_graphs, session
from embeddings.progress import step
from qa.errors import ModelNotFound

INFERENCES = ("torch", "onnx", "onnx-int8")
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class SpanLogits(Protocol):
    """Start and end logits of each window of a batch (model inputs as `Windows.batch` gives them)."""

    @property
    def per_window(self) -> bool:
        """Whether each window must run alone: an engine that quantizes activations per batch would
        otherwise give a window scores that depend on its batch mates."""
        ...

    def __call__(self, batch: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]: ...


class TorchSpans:
    """A transformers question-answering model run by torch."""

    def __init__(self, model: Any, quantized: bool = False) -> None:
        self.model = model.eval()
        self.quantized = quantized

    @property
    def per_window(self) -> bool:
        return self.quantized

    def __call__(self, batch: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        import torch

        with torch.inference_mode():
            out = self.model(**{k: torch.from_numpy(v) for k, v in batch.items()})
        return out.start_logits.float().numpy(), out.end_logits.float().numpy()


class OnnxSpans:
    """The same model exported to ONNX and run by ONNX Runtime."""

    def __init__(self, path: Path, quantized: bool, threads: int | None = None) -> None:
        self.session = session(path, threads)
        self.quantized = quantized

    @property
    def per_window(self) -> bool:
        return self.quantized  # DynamicQuantizeLinear scales activations over the whole batch

    def __call__(self, batch: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        starts, ends = self.session.run(None, {k: batch[k].astype(np.int64) for k in INPUTS})
        return np.asarray(starts, dtype=np.float32), np.asarray(ends, dtype=np.float32)


def exported_path(folder: Path, quantized: bool) -> Path:
    """Where the exported graph of the reader in `folder` lives (exported or not)."""
    digest = hashlib.sha256()
    for name in ("reader.safetensors", "reader.json"):
        digest.update((folder / name).read_bytes())
    name = "model-int8.onnx" if quantized else "model.onnx"
    return models_dir() / "onnx" / f"reader-{folder.name}-{digest.hexdigest()[:16]}-g{GRAPH_VERSION}" / name


def export(model: Any, tokenizer: Any, folder: Path) -> None:
    """Export a loaded torch reader to ONNX and to its int8 per-channel quantization."""
    import torch

    # Two rows, one padded: the fused graph is checked against the plain one on padding too.
    sample = tokenizer(
        ["问题 question", "问题"], ["文本 text", "较长的文本 longer text"], padding=True, return_tensors="pt"
    )
    inputs = dict(zip(INPUTS, (sample["input_ids"], sample["attention_mask"], torch.zeros_like(sample["input_ids"]))))
    export_graphs(
        _logits_module(model),
        inputs,
        ["start_logits", "end_logits"],
        exported_path(folder, False),
        exported_path(folder, True),
        model,
    )


def onnx_spans(folder: Path, inference: str, load_torch: Any, tokenizer: Any, threads: int | None) -> OnnxSpans:
    """The ONNX engine of the reader in `folder`, exported first (from `load_torch()`) if it never was."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError as exc:
        raise ModelNotFound(f"reader inference '{inference}' needs ONNX Runtime: pip install onnxruntime") from exc
    quantized = inference == "onnx-int8"
    path = exported_path(folder, quantized)
    if not path.is_file():
        step(
            "preparing the reader %s for this machine once: exporting it to ONNX (about a minute) into %s",
            folder.name,
            path.parent,
        )
        export(load_torch(), tokenizer, folder)
    return OnnxSpans(path, quantized, threads)


def _logits_module(model: Any) -> Any:
    import torch

    class Logits(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            out = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return out.start_logits, out.end_logits

    return Logits().eval()
