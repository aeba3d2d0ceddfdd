"""ONNX Runtime inference for a sentence-transformers model: exported once, then encoding with the
model's own tokenizer, pooling and normalisation, several times faster than torch on a CPU.

torch fp32 stays the reference (`inference="torch"`). `onnx` is the same graph run by ONNX Runtime
(cosine to torch ≥ 0.9999 on the shipped page). `onnx-int8` quantizes every weight matrix to int8
per output channel (dynamic quantization: activations are quantized per batch row at run time), the
word-embedding table included, which is what makes it ~2.3x faster and 4x smaller; its vectors stay
within cosine 0.99 of torch's (docs/performance.md). Its questions have a graph of their own, the
same with its first layers fp32 (embeddings.query_graph): English questions then find Chinese
passages as torch's do (docs/quality.md). The exported files are kept in the model cache
under the weights' fingerprint, so a changed model is exported again, never confused with the old one.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from embeddings.models import models_dir
from embeddings.progress import step
from qa.errors import ModelNotFound

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from transformers import PreTrainedModel

    from embeddings.encoder import Encoder
    from embeddings.model_card import ModelCard


INFERENCES = ("torch", "onnx", "onnx-int8")
# Part of every exported graph's folder name: a change to how graphs are exported gets new files
# instead of reusing old ones. 2: attention fused (embeddings.onnx_fusion).
GRAPH_VERSION = 2
BATCH = 16  # texts per run; length-sorted, so a batch pads little
_EXPORT_LOCK = threading.Lock()


def exported_path(model_id: str, fingerprint: str, quantized: bool) -> Path:
    """Where the exported graph of these weights lives (exported or not)."""
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(model_id).name)
    folder = models_dir() / "onnx" / f"{name}-{fingerprint}-g{GRAPH_VERSION}"
    return folder / ("model-int8.onnx" if quantized else "model.onnx")


def export(model: SentenceTransformer, model_id: str, fingerprint: str) -> tuple[Path, Path]:
    """Export the model's transformer to ONNX (fp32) and its int8 per-channel quantization."""
    fp32 = exported_path(model_id, fingerprint, quantized=False)
    int8 = exported_path(model_id, fingerprint, quantized=True)
    transformer: Any = model[0].auto_model
    # Two rows, one padded: the fused graph is checked against the plain one on padding too.
    sample = model.tokenizer(
        ["query: 示例 example", "passage: 一段较长的示例文本 a longer example"], padding=True, return_tensors="pt"
    )
    export_graphs(
        _last_hidden_state(transformer),
        {"input_ids": sample["input_ids"], "attention_mask": sample["attention_mask"]},
        ["last_hidden_state"],
        fp32,
        int8,
        transformer,
    )
    return fp32, int8


def export_graphs(
    module: Any, inputs: dict[str, Any], outputs: list[str], fp32: Path, int8: Path, model: PreTrainedModel
) -> None:
    """Export a torch module to ONNX at `fp32` and its int8 per-channel quantization at `int8`, with
    every input and output dynamic in batch and tokens; both written atomically, so a killed export
    leaves nothing half-written behind. Shared by the embedding model and the trained readers.

    Args:
        model: the transformers model inside `module`: exported with eager attention, which
            `onnx_fusion.fuse` then folds into ONNX Runtime's attention kernels.
    """
    import torch

    from embeddings.onnx_fusion import eager_attention, fuse
    from embeddings.quiet import quiet_export

    fp32.parent.mkdir(parents=True, exist_ok=True)
    with _EXPORT_LOCK, tempfile.TemporaryDirectory(dir=fp32.parent) as tmp, quiet_export():
        raw, quantized = Path(tmp) / fp32.name, Path(tmp) / int8.name
        fused = Path(tmp) / "fused.onnx"
        with torch.no_grad(), eager_attention(model):
            torch.onnx.export(
                module,
                tuple(inputs.values()),
                str(raw),
                input_names=list(inputs),
                output_names=outputs,
                dynamic_axes={name: {0: "batch", 1: "tokens"} for name in (*inputs, *outputs)},
                opset_version=17,
                dynamo=False,  # the TorchScript exporter needs no onnxscript and handles BERT's masks
            )
        if fuse(raw, fused, model.config, {k: v.numpy() for k, v in inputs.items()}):
            os.replace(fused, raw)
        quantize(raw, quantized)
        os.replace(raw, fp32)
        os.replace(quantized, int8)


def quantize(source: Path, out: Path, keep_fp32: Sequence[str] = ()) -> None:
    """Write `source` with int8 weights, as every shipped int8 graph is: per output channel, activations
    quantized as they come (dynamic); the nodes named in `keep_fp32` keep their fp32 weights."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from embeddings.quiet import quiet_export

    with quiet_export():
        quantize_dynamic(
            str(source),
            str(out),
            weight_type=QuantType.QInt8,
            per_channel=True,
            nodes_to_exclude=list(keep_fp32),
            # Fused nodes (com.microsoft domain) defeat ONNX shape inference; their outputs are float.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )


def session(path: Path, threads: int | None = None) -> Any:
    """An ONNX Runtime CPU session of `path`, on `threads` threads (None: every core)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or 0  # 0: ORT's default, every core
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Idle pool threads sleep instead of spinning: between two runs (a reader window, a batch) the
    # Python around them needs the core a spinning thread would burn, and server workers share the
    # cores. Measured: one question p50 113 -> 79 ms on two cores (docs/performance.md).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


@dataclass
class TokenStates:
    """One batch of prompted texts as the model read them (`Encoder.passage_states`)."""

    rows: np.ndarray  # which of the caller's texts, in batch order
    input_ids: np.ndarray  # (batch, tokens)
    attention_mask: np.ndarray  # (batch, tokens)
    offsets: np.ndarray | None  # (batch, tokens, 2): each token's characters, as the tokenizer claims them
    states: np.ndarray  # (batch, tokens, dim): the last hidden states
    vectors: np.ndarray  # (batch, dim): the texts' own vectors, pooled and L2-normalised as the model does


class OnnxEngine:
    """Encode prompted texts with an exported graph: L2-normalised float32 rows, like the model."""

    def __init__(self, path: Path, card: ModelCard, threads: int | None = None) -> None:
        if card.pooling is None:
            raise ModelNotFound(
                "ONNX inference supports mean or CLS pooling over the prompt too, not this model's; "
                "use RAGQA_INFERENCE=torch for it"
            )
        self.session = session(path, threads)
        self.tokenizer = card.tokenizer
        self.max_length = card.max_tokens
        self.pooling = card.pooling

    def __call__(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for batch in self.states(texts, progress):
            out[batch.rows] = batch.vectors
        return out

    def states(self, texts: Sequence[str], progress: bool = False, offsets: bool = False) -> Iterator[TokenStates]:
        """The texts in length-sorted batches as the model read them: token states and pooled vectors."""
        order = np.argsort([-len(t) for t in texts], kind="stable")  # similar lengths share a batch
        bar = _bar(len(texts), progress)
        for lo in range(0, len(texts), BATCH):
            rows = order[lo : lo + BATCH]
            yield self._batch([texts[i] for i in rows], rows, offsets)
            if bar is not None:
                bar.update(len(rows))
        if bar is not None:
            bar.close()

    @property
    def dim(self) -> int:
        return int(self.session.get_outputs()[0].shape[-1])

    def _batch(self, texts: list[str], rows: np.ndarray, offsets: bool) -> TokenStates:
        encoded = self.tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=self.max_length,
            return_tensors="np",
            return_offsets_mapping=offsets,
        )
        ids = encoded["input_ids"].astype(np.int64)
        mask = encoded["attention_mask"].astype(np.int64)
        hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        if self.pooling == "cls":
            vectors = hidden[:, 0]
        else:
            vectors = mean_pool(hidden, mask)
        # Always normalised, as Encoder promises (the torch path asks sentence-transformers for it too).
        vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        spans = encoded["offset_mapping"] if offsets else None
        return TokenStates(rows, ids, mask, spans, hidden, vectors.astype(np.float32))


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The mean of each row's token states where the mask is 1."""
    weights = mask[..., None].astype(np.float32)
    return (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)


def check_inference(inference: str) -> None:
    """Refuse an unknown engine, or one whose runtime is missing, before any model is loaded."""
    if inference not in INFERENCES[1:]:
        raise ModelNotFound(f"unknown inference backend '{inference}'; one of: {', '.join(INFERENCES)}")
    try:
        import onnxruntime  # noqa: F401  (say what to install before spending seconds on an export)
    except ImportError as exc:
        raise ModelNotFound(f"inference '{inference}' needs ONNX Runtime: pip install onnxruntime") from exc


def load_engine(encoder: Encoder, inference: str, threads: int | None = None) -> OnnxEngine:
    """The engine for `onnx` or `onnx-int8`, exporting the encoder's torch model first if it never was."""
    return OnnxEngine(exported_graph(encoder, inference), encoder.card, threads)


def exported_graph(encoder: Encoder, inference: str) -> Path:
    """The graph of `onnx` or `onnx-int8` for the encoder's weights, exported now if it never was."""
    check_inference(inference)
    path = exported_path(encoder.model_id, encoder.fingerprint, quantized=inference == "onnx-int8")
    if not path.is_file():
        if encoder.model is None:
            raise ModelNotFound(f"{encoder.model_id} was never exported to ONNX and no torch model is loaded")
        step(
            "preparing %s for this machine once: exporting it to ONNX (about a minute) into %s",
            encoder.model_id,
            path.parent,
        )
        export(encoder.model, encoder.model_id, encoder.fingerprint)
    return path


def query_graph_path(model_id: str, fingerprint: str) -> Path:
    """Where the questions' graph of these weights lives (embeddings.query_graph), beside the others."""
    from embeddings.query_graph import QUERY_GRAPH

    return exported_path(model_id, fingerprint, quantized=False).with_name(QUERY_GRAPH)


def load_query_engine(encoder: Encoder, threads: int | None = None) -> OnnxEngine:
    """The questions' engine under `onnx-int8`, its graph derived from the fp32 one the first time
    (seconds, without torch; the fp32 graph is exported first if it never was)."""
    from embeddings.query_graph import write_query_graph

    path = query_graph_path(encoder.model_id, encoder.fingerprint)
    if not path.is_file():
        fp32 = exported_graph(encoder, "onnx")
        with _EXPORT_LOCK:
            if not path.is_file():
                step("preparing %s's question graph once (seconds) into %s", encoder.model_id, path)
                write_query_graph(fp32, path)
    return OnnxEngine(path, encoder.card, threads)


def _bar(total: int, progress: bool) -> Any:
    if not progress:
        return None
    from embeddings.progress import bar

    return bar(total)


def _last_hidden_state(transformer: Any) -> Any:
    """The transformer as a module returning only its last hidden state (what pooling reads)."""
    import torch

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.transformer(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    return LastHiddenState().eval()
