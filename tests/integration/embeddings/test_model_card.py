"""A model folder read from its files (embeddings.model_card) says what the loaded model says, and
a folder that does not spell it all out is left to sentence-transformers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from embeddings.encoder import resolve_model
from embeddings.model_card import card_of, read_card

TEXTS = [
    "passage: 福建三峡海上风电国际产业园占地1000亩。",
    "query: How tall is the solar tower?",
    "  Ünïcode   ÉTÉ 東京 ",
]


def test_the_folders_files_say_what_the_loaded_model_says(encoder) -> None:
    card = read_card(Path(resolve_model("multilingual-e5-small")[1]))
    assert card is not None
    loaded = card_of(encoder.model)
    assert (card.max_tokens, card.dim, card.pooling, card.prompts) == (
        loaded.max_tokens,
        loaded.dim,
        loaded.pooling,
        loaded.prompts,
    )
    for text in TEXTS:
        mine = card.tokenizer(text, return_offsets_mapping=True)
        theirs = loaded.tokenizer(text, return_offsets_mapping=True)
        assert mine["input_ids"] == theirs["input_ids"] and mine["offset_mapping"] == theirs["offset_mapping"]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda f: (f / "modules.json").unlink(), "no modules.json: the library builds the pooling itself"),
        (lambda f: _edit(f / "sentence_bert_config.json", do_lower_case=True), "the library lowercases"),
        (lambda f: _edit(f / "1_Pooling" / "config.json", pooling_mode_max_tokens=True), "two pooling modes"),
    ],
)
def test_a_folder_that_does_not_say_it_all_gets_no_card(tmp_path: Path, change, why: str) -> None:
    folder = tmp_path / "model"
    source = Path(resolve_model("multilingual-e5-small")[1])
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns("*.safetensors"))
    change(folder)
    card = read_card(folder)
    assert card is None or card.pooling is None, why


def _edit(path: Path, **values: object) -> None:
    path.write_text(json.dumps({**json.loads(path.read_text(encoding="utf-8")), **values}), encoding="utf-8")
