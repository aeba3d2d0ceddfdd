"""Load a trained reader folder over its installed base model, offline, and share what it can.

The model is transformers' `BertForQuestionAnswering` over an embedded encoder; the folder holds
only the trained layers, put over the base model loaded with a fresh head.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from qa.errors import ModelNotFound
from qa.reading.trained.reader import ExtractiveReader
from qa.reading.trained.settings import WEIGHTS, read_settings
from qa.reading.trained.span_logits import INFERENCES, SpanLogits, TorchSpans, onnx_spans

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


def load_reader(
    folder: str | Path,
    batch_size: int = 16,
    inference: str | None = None,
    threads: int | None = None,
    known: tuple[str, Any] | None = None,
) -> ExtractiveReader:
    """Load a trained reader folder over its installed base model (offline).

    Args:
        known: (model id, tokenizer) already loaded, e.g. the embedding model's: taken instead of a
            second copy when the reader's base is that model (e5's tokenizer holds ~280 MB).
        inference: "torch" (the reference; int8 when its reader.json says `quantize`), "onnx" or
            "onnx-int8" (ONNX Runtime, exported on first use; the torch model is then not kept).
        threads: ONNX Runtime's threads (None: all cores; a server worker passes its share).
    """
    from transformers.utils import logging as hf_logging

    from embeddings.encoder import resolve_model
    from embeddings.model_card import load_tokenizer

    hf_logging.set_verbosity_error()  # the head is "missing" from the base model until the trained weights load
    hf_logging.disable_progress_bar()

    folder = Path(folder)
    settings = read_settings(folder)
    base_id, base = resolve_model(settings.base)
    if known is not None and known[0] == base_id:
        tokenizer = known[1]
    else:
        tokenizer = load_tokenizer(Path(base))
    inference = inference or "torch"
    if inference not in INFERENCES:
        raise ModelNotFound(f"unknown reader inference '{inference}'; one of: {', '.join(INFERENCES)}")
    if inference == "torch":
        if threads:
            import torch

            torch.set_num_threads(threads)
        model = _torch_model(folder, base, settings.base)
        spans: SpanLogits = TorchSpans(quantize(model) if settings.quantize else model, quantized=settings.quantize)
    else:
        spans = onnx_spans(folder, inference, lambda: _torch_model(folder, base, settings.base), tokenizer, threads)
    return ExtractiveReader(spans, tokenizer, settings, batch_size, inference)


def _torch_model(folder: Path, base: str, base_name: str) -> Any:
    from transformers import BertForQuestionAnswering

    model = BertForQuestionAnswering.from_pretrained(base, local_files_only=True)
    load_weights(model, folder, base_name)
    return model.eval()


def load_weights(model: Any, folder: str | Path, base: str) -> None:
    """Put a reader folder's trained weights (fp16 on disk) over a base model loaded with a fresh head."""
    from safetensors.torch import load_file

    path = Path(folder) / WEIGHTS
    trained = {k: v.float() for k, v in load_file(str(path)).items()}
    missing = set(trained) - set(model.state_dict())
    if missing:
        raise ValueError(f"{path} holds weights the base model '{base}' lacks: {sorted(missing)[:3]}")
    model.load_state_dict(trained, strict=False)


def share_word_embeddings(reader: ExtractiveReader, embedder: SentenceTransformer | None) -> bool:
    """Point the reader's word embeddings at the embedding model's own matrix when it is the same one.

    A reader over the serving embedding model's base (multilingual-e5-small: 250k × 384, 384 MB in
    fp32) froze that matrix in training, so both hold identical copies; one is kept. `embedder` is
    the sentence-transformers model. Returns whether they are shared now."""
    if reader.model is None or embedder is None:
        return False  # an ONNX reader or embedding model holds its own (int8) table and no torch model
    import torch

    transformer: Any = embedder[0]  # a Transformer module, whose model transformers builds by name
    try:
        theirs = transformer.auto_model.embeddings.word_embeddings.weight
        mine = reader.model.bert.embeddings.word_embeddings
    except (AttributeError, IndexError, KeyError, TypeError):
        return False
    if mine.weight is theirs:
        return True
    if mine.weight.shape != theirs.shape or mine.weight.dtype != theirs.dtype or not torch.equal(mine.weight, theirs):
        return False
    mine.weight = theirs
    return True


def quantize(model: Any) -> Any:
    """int8 weights for every linear layer, activations quantized on the fly (CPU inference only)."""
    import warnings

    import torch

    with warnings.catch_warnings():  # torch points to torchao for new code; the eager API still works
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(model.eval(), {torch.nn.Linear}, dtype=torch.qint8)
