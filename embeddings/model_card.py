"""What encoding needs to know about a sentence-transformers model, read without loading it.

A server on ONNX Runtime needs the model's tokenizer, length limit, pooling, width and prompts, not
its torch weights: read from the folder's own files (`read_card`), a worker never imports torch,
sentence-transformers or transformers' models (about 300 MB of its resident memory). A folder
whose files do not spell all of it out (no modules.json, a module other than Transformer, Pooling
and Normalize, a lowercasing tokenizer step) gets None, and the caller loads the model as before;
`card_of` reads the same facts from a loaded model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

SERVABLE = {
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
}


@dataclass
class ModelCard:
    tokenizer: Any  # a transformers fast tokenizer (`PreTrainedTokenizerFast`)
    max_tokens: int  # longer inputs are cut, as sentence-transformers cuts them
    dim: int
    # "mean" or "cls" when the model pools its token states so, prompt tokens included; else None
    # (what ONNX inference and sentence vectors pooled from token states both need).
    pooling: str | None
    prompts: dict[str, str] = field(default_factory=dict)


def read_card(folder: Path) -> ModelCard | None:
    """The card of a sentence-transformers folder from its files alone; None when they do not say it all."""
    try:
        modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
        if {m["type"] for m in modules} - SERVABLE:
            return None
        transformer = next(folder / m["path"] for m in modules if m["type"].endswith(".Transformer"))
        pooling_dir = next(folder / m["path"] for m in modules if m["type"].endswith(".Pooling"))
        settings = json.loads((transformer / "sentence_bert_config.json").read_text(encoding="utf-8"))
        pooling = json.loads((pooling_dir / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, StopIteration):
        return None
    if settings.get("do_lower_case") or not settings.get("max_seq_length"):
        return None  # sentence-transformers would lowercase the text, or work the limit out itself
    if not (transformer / "tokenizer.json").is_file():
        return None  # a tokenizer converted from its slow form at load: leave that to the library
    return ModelCard(
        load_tokenizer(transformer),
        int(settings["max_seq_length"]),
        int(pooling["word_embedding_dimension"]),
        _pooling_mode(pooling),
        _prompts(folder),
    )


def load_tokenizer(folder: Path) -> Any:
    """A model folder's fast tokenizer, offline, as AutoTokenizer would give it but without the
    torch import AutoTokenizer makes: the class its tokenizer_config.json names (BERT's adds
    token_type_ids, which a BERT reader reads), else AutoTokenizer itself."""
    import transformers
    from transformers import PreTrainedTokenizerBase

    try:
        config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
        named: Any = getattr(transformers, str(config.get("tokenizer_class")), None)
    except (OSError, ValueError):
        named = None
    if (folder / "tokenizer.json").is_file() and isinstance(named, type) and issubclass(named, PreTrainedTokenizerBase):
        return named.from_pretrained(str(folder), local_files_only=True)
    return transformers.AutoTokenizer.from_pretrained(str(folder), local_files_only=True)


def card_of(model: SentenceTransformer) -> ModelCard:
    """The card of a loaded model."""
    dim = model.get_embedding_dimension()
    if dim is None:  # only a model ending in a module of unknown width says so; ours never do
        raise ValueError("the model does not say its embedding dimension")
    pooling: Any = model[1] if len(model) > 1 else None
    config: dict[str, Any] = pooling.get_config_dict() if pooling is not None else {}
    prompts = {k: v for k, v in (model.prompts or {}).items() if v}
    return ModelCard(model.tokenizer, int(model.max_seq_length or 512), int(dim), _pooling_mode(config), prompts)


def _pooling_mode(config: dict[str, Any]) -> str | None:
    """ "mean" or "cls" from a Pooling module's settings (either way sentence-transformers writes them)."""
    mode = config.get("pooling_mode")
    if mode is None:  # the older form: one flag per mode
        flags = [k.removeprefix("pooling_mode_") for k, v in config.items() if k.startswith("pooling_mode_") and v]
        mode = {"cls_token": "cls", "mean_tokens": "mean"}.get(flags[0]) if len(flags) == 1 else None
    # Prompt tokens are pooled with the text here; a model that leaves them out reads otherwise.
    return str(mode) if mode in ("mean", "cls") and config.get("include_prompt", True) else None


def _prompts(folder: Path) -> dict[str, str]:
    try:
        config = json.loads((folder / "config_sentence_transformers.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in (config.get("prompts") or {}).items() if v}
