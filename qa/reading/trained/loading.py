"""Load a trained reader folder over its installed base model, offline, and share what it can.

The model is transformers' `BertForQuestionAnswering` over an embedded encoder; the folder holds
only the trained layers, put over the base model loaded with a fresh head.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qa.reading.trained.reader import ExtractiveReader
from qa.reading.trained.settings import WEIGHTS, read_settings


def load_reader(folder: str | Path, batch_size: int = 16) -> ExtractiveReader:
    """Load a trained reader folder over its installed base model (offline)."""
    from transformers import AutoTokenizer, BertForQuestionAnswering
    from transformers.utils import logging as hf_logging

    from embeddings.encoder import resolve_model

    hf_logging.set_verbosity_error()  # the head is "missing" from the base model until the trained weights load
    hf_logging.disable_progress_bar()

    folder = Path(folder)
    settings = read_settings(folder)
    _, base = resolve_model(settings.base)
    model = BertForQuestionAnswering.from_pretrained(base, local_files_only=True)
    load_weights(model, folder, settings.base)
    tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
    if settings.quantize:
        model = quantize(model)
    return ExtractiveReader(model, tokenizer, settings, batch_size)


def load_weights(model: Any, folder: str | Path, base: str) -> None:
    """Put a reader folder's trained weights (fp16 on disk) over a base model loaded with a fresh head."""
    from safetensors.torch import load_file

    path = Path(folder) / WEIGHTS
    trained = {k: v.float() for k, v in load_file(str(path)).items()}
    missing = set(trained) - set(model.state_dict())
    if missing:
        raise ValueError(f"{path} holds weights the base model '{base}' lacks: {sorted(missing)[:3]}")
    model.load_state_dict(trained, strict=False)


def share_word_embeddings(reader: ExtractiveReader, embedder: Any) -> bool:
    """Point the reader's word embeddings at the embedding model's own matrix when it is the same one.

    A reader over the serving embedding model's base (multilingual-e5-small: 250k × 384, 384 MB in
    fp32) froze that matrix in training, so both hold identical copies; one is kept. `embedder` is
    the sentence-transformers model. Returns whether they are shared now."""
    import torch

    try:
        theirs = embedder[0].auto_model.embeddings.word_embeddings.weight
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
