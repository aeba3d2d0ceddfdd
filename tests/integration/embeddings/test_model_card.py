"""A model folder read from its files (embeddings.model_card) says what the loaded model says, and
a folder that does not spell it all out is left to sentence-transformers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from embeddings.encoder import resolve_model
from embeddings.model_card import card_of, load_tokenizer, read_card

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


@pytest.mark.parametrize("name", ["multilingual-e5-small", "m3e-small"])
def test_the_tokenizer_is_the_one_autotokenizer_gives(name: str) -> None:
    """Loaded by its class (AutoTokenizer would import torch), with the same inputs for a reader's
    question-passage windows: BERT's token_type_ids included."""
    from transformers import AutoTokenizer

    folder = resolve_model(name)[1]
    mine, theirs = load_tokenizer(Path(folder)), AutoTokenizer.from_pretrained(folder, local_files_only=True)
    options = {"truncation": "only_second", "max_length": 64, "stride": 8, "return_overflowing_tokens": True}
    for question, passage in zip(TEXTS, reversed(TEXTS)):
        a = mine([question], [passage * 3], return_offsets_mapping=True, **options)
        b = theirs([question], [passage * 3], return_offsets_mapping=True, **options)
        assert set(a) == set(b) and all(a[k] == b[k] for k in b)
        assert [a.sequence_ids(i) for i in range(len(a["input_ids"]))] == [
            b.sequence_ids(i) for i in range(len(b["input_ids"]))
        ]


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
