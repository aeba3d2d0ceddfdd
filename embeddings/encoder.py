"""Load a sentence-transformers model (an embedded one by alias, or any name or path) and encode.

Nothing is downloaded unless the caller allows it: the embedded models are found inside
installed packages, and any other name must already be on disk or in the local HF cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from embeddings.model_card import ModelCard, card_of, read_card
from embeddings.models import EMBEDDED
from qa.errors import ModelNotFound

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from embeddings.onnx_engine import OnnxEngine, TokenStates


# Multilingual: questions in English find Chinese passages (docs/quality.md, cross-lingual table).
DEFAULT_MODEL = "multilingual-e5-small"
_ENGINE_LOCK = threading.Lock()  # one load of the passages' engine, whichever thread asks first


def resolve_model(name: str | None) -> tuple[str, str]:
    """Map a model alias, path or hub name to (model id, what to load)."""
    name = (name or DEFAULT_MODEL).strip()
    if name in EMBEDDED:
        folder = EMBEDDED[name].path()
        if folder is None:
            raise ModelNotFound(f"embedding model '{name}' is not installed; install it with: {EMBEDDED[name].install}")
        return name, str(folder)
    path = Path(name).expanduser()
    if path.exists():
        if not (path / "config.json").is_file() and not (path / "modules.json").is_file():
            raise ModelNotFound(
                f"'{name}' is not a sentence-transformers model folder (no config.json or modules.json)"
            )
        return str(path.resolve()), str(path.resolve())
    return name, name


@dataclass
class Encoder:
    """A model ready to encode, with the prompts its index was built with.

    `model` is the sentence-transformers model when torch encodes, or when the folder does not
    describe itself (`embeddings.model_card`); an ONNX engine serving a self-describing folder
    has none, and the process never imports torch. Under `onnx-int8` questions have a graph of their
    own (`query_engine`, embeddings.query_graph) and the passages' engine is loaded on first use, so
    a server worker, which embeds questions only, never holds it.
    """

    card: ModelCard
    model_id: str
    fingerprint: str
    model: SentenceTransformer | None = None
    prompts: dict[str, str] = field(default_factory=dict)
    batch_size: int = 32
    query_encoder: Callable[[Sequence[str]], np.ndarray] | None = None  # another engine for questions only
    # "torch" (the reference), "onnx" or "onnx-int8" (embeddings.onnx_engine), with its engine.
    inference: str = "torch"
    engine_loader: Callable[[], OnnxEngine] | None = field(default=None, repr=False)
    query_engine: OnnxEngine | None = None  # the questions' own graph; None: the passages' engine
    _engine: OnnxEngine | None = field(default=None, init=False, repr=False)

    @property
    def engine(self) -> OnnxEngine | None:
        """The passages' ONNX engine (None: torch encodes), loaded on first use."""
        if self._engine is None and self.engine_loader is not None:
            with _ENGINE_LOCK:
                if self._engine is None:
                    self._engine = self.engine_loader()
        return self._engine

    @property
    def dim(self) -> int:
        return self.card.dim

    @property
    def max_tokens(self) -> int:
        return self.card.max_tokens

    @property
    def tokenizer(self) -> Any:
        """The model's fast tokenizer (transformers' `PreTrainedTokenizerFast`)."""
        return self.card.tokenizer

    def fits(self, text: str) -> bool:
        """Whether the model reads this passage whole: sentence-transformers cuts what is longer."""
        prompt = self.prompts.get("passage", "")
        return len(self.tokenizer(prompt + text, verbose=False)["input_ids"]) <= self.max_tokens

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed questions: L2-normalised float32 rows."""
        if self.query_encoder is not None and len(texts):
            return self.query_encoder(texts)
        if self.query_engine is not None and len(texts):
            return self.query_engine([self.prompts.get("query", "") + t for t in texts])
        return self._encode(texts, self.prompts.get("query", ""), progress=False)

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Embed passages: L2-normalised float32 rows."""
        return self._encode(texts, self.prompts.get("passage", ""), progress=progress)

    @property
    def mean_pooled(self) -> bool:
        """Whether a text's vector is the mean of its token states, prompt included (e5, m3e): then the
        mean over a sentence's tokens is a vector of the same kind, with no pass of its own."""
        return self.card.pooling == "mean"

    def passage_states(self, texts: Sequence[str], progress: bool = False) -> Iterator[TokenStates]:
        """Embed passages and give every batch's token states too (with the tokenizer's character
        offsets into the prompted text): one pass yields passage and sentence vectors."""
        prompted = [self.prompts.get("passage", "") + t for t in texts]
        if self.engine is not None:
            yield from self.engine.states(prompted, progress, offsets=True)
            return
        from embeddings.progress import bar as progress_bar

        order = np.argsort([-len(t) for t in prompted], kind="stable")
        with progress_bar(len(texts), progress) as bar:
            for lo in range(0, len(texts), self.batch_size):
                rows = order[lo : lo + self.batch_size]
                yield self._torch_states([prompted[i] for i in rows], rows)
                bar.update(len(rows))

    def _torch_states(self, texts: list[str], rows: np.ndarray) -> TokenStates:
        import torch

        from embeddings.onnx_engine import TokenStates

        model = self._torch_model()
        encoded = self.tokenizer(
            texts,
            padding=True,
            truncation=True,
            max_length=self.max_tokens,
            return_tensors="pt",
            return_offsets_mapping=True,
        )
        offsets = encoded.pop("offset_mapping").numpy()
        with torch.inference_mode():
            out = model.forward(dict(encoded))
        vectors = torch.nn.functional.normalize(out["sentence_embedding"].float(), dim=1).numpy()
        return TokenStates(
            rows,
            encoded["input_ids"].numpy(),
            encoded["attention_mask"].numpy(),
            offsets,
            out["token_embeddings"].float().numpy(),
            np.ascontiguousarray(vectors, dtype=np.float32),
        )

    def _encode(self, texts: Sequence[str], prompt: str, progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        if self.engine is not None:
            return self.engine([prompt + t for t in texts], progress=progress)
        vectors = self._torch_model().encode(
            list(texts),
            prompt=prompt or None,
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _torch_model(self) -> SentenceTransformer:
        if self.model is None:  # load_encoder gives every torch encoder its model; an engine needs none
            raise ValueError(f"{self.model_id} is served by {self.inference} and holds no torch model")
        return self.model


def load_encoder(
    name: str | None = None,
    device: str = "cpu",
    allow_download: bool = False,
    inference: str | None = None,
    threads: int | None = None,
) -> Encoder:
    """Load a model by alias, folder or hub name; offline unless allow_download.

    Args:
        inference: "torch" (default), "onnx" or "onnx-int8": the engine that encodes (exported on first use).
        threads: the engine's threads (None: all cores; a server worker passes its share).
    """
    model_id, target = resolve_model(name)
    fingerprint = _fingerprint(target)
    if inference not in (None, "", "torch"):
        ready = _graphs_ready(model_id, fingerprint, inference)
        card = read_card(Path(target)) if ready else None
        if card is not None:  # ONNX Runtime and the tokenizer are all it takes: torch is never imported
            return _with_engine(Encoder(card, model_id, fingerprint, None, _prompts(card)), inference, threads)
    model = _load_model(model_id, target, device, allow_download, threads)
    card = card_of(model)
    encoder = Encoder(card, model_id, fingerprint, model, _prompts(card))
    if inference not in (None, "", "torch"):
        _with_engine(encoder, inference, threads)
        encoder.model = None  # the engine holds its own weights; torch's (~470 MB for e5-small) would idle
    return encoder


def _prompts(card: ModelCard) -> dict[str, str]:
    """The model's prompts, "passage" named so whether the model calls it that or "document"."""
    prompts = dict(card.prompts)
    prompts.setdefault("passage", prompts.get("document", ""))
    return {k: v for k, v in prompts.items() if v}


def _graphs_ready(model_id: str, fingerprint: str, inference: str) -> bool:
    """Whether the engine's graphs can be loaded without torch: exported, or (the questions' graph)
    derivable from the exported fp32 graph."""
    from embeddings.onnx_engine import check_inference, exported_path, query_graph_path

    check_inference(inference)
    if not exported_path(model_id, fingerprint, quantized=inference == "onnx-int8").is_file():
        return False
    return inference != "onnx-int8" or any(
        p.is_file() for p in (query_graph_path(model_id, fingerprint), exported_path(model_id, fingerprint, False))
    )


def _with_engine(encoder: Encoder, inference: str, threads: int | None) -> Encoder:
    from functools import partial

    from embeddings.onnx_engine import OnnxEngine, exported_graph, load_query_engine

    path = exported_graph(encoder, inference)  # exported now, while the torch model is here if needed
    encoder.engine_loader = partial(OnnxEngine, path, encoder.card, threads)
    if inference == "onnx-int8":
        encoder.query_engine = load_query_engine(encoder, threads)
    else:  # questions and passages share this one: loaded now, as a server worker needs it
        encoder._engine = OnnxEngine(path, encoder.card, threads)
    encoder.inference = inference
    return encoder


def _load_model(
    model_id: str, target: str, device: str, allow_download: bool, threads: int | None
) -> SentenceTransformer:
    if not allow_download:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer  # heavy: imported only when a model is loaded
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a bar for loading 71 tensors is noise in CLI output and logs
    if threads:
        import torch  # imported already by sentence-transformers

        torch.set_num_threads(threads)

    try:
        return SentenceTransformer(target, device=device, local_files_only=not allow_download)
    except Exception as exc:  # the library raises OSError, ValueError or hub errors for a missing model
        hint = "" if allow_download else " (downloads are off; pass a local folder, or set RAGQA_ALLOW_DOWNLOAD=1)"
        raise ModelNotFound(
            f"cannot load embedding model '{model_id}'{hint}: {str(exc).splitlines()[0][:200]}"
        ) from exc


def exported_graph(name: str | None, inference: str) -> Path | None:
    """Where the graph a server worker loads for this engine is exported (it may not be yet): the
    questions' graph under `onnx-int8`; None for torch. Cheap: reads the model folder's config and
    file sizes, never the model."""
    if inference in ("", "torch"):
        return None
    from embeddings.onnx_engine import exported_path, query_graph_path

    model_id, target = resolve_model(name)
    if inference == "onnx-int8":
        return query_graph_path(model_id, _fingerprint(target))
    return exported_path(model_id, _fingerprint(target), quantized=False)


def _fingerprint(target: str) -> str:
    """Identify the weights, not the path: the config plus the sizes of the weight files."""
    folder = Path(target)
    if not folder.is_dir():
        return hashlib.sha256(target.encode()).hexdigest()[:16]
    digest = hashlib.sha256()
    config = folder / "config.json"
    if config.is_file():
        digest.update(json.dumps(json.loads(config.read_text()), sort_keys=True).encode())
    for weights in sorted(folder.glob("*.safetensors")) + sorted(folder.glob("*.bin")):
        digest.update(f"{weights.name}:{weights.stat().st_size}".encode())
    return digest.hexdigest()[:16]
