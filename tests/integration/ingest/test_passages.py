"""Passages against the real model's tokenizer: no passage is cut off by its token limit."""

from __future__ import annotations

from typing import Any

from qa.ingest.documents import Document
from qa.ingest.passages import Passage, split_passages
from qa.ingest.readers.text import text_blocks


def passages_of(source: str, **bounds: Any) -> list[Passage]:
    return split_passages([Document("page.txt", "page.txt", "page", text_blocks(source))], **bounds)


def test_passages_stay_within_the_models_token_limit(encoder) -> None:
    """Characters are a proxy for tokens: NFKC turns ﷺ into 18 letters, so 400 of them are ~1,600 tokens."""
    paragraph = "بسم الله ﷺ " * 12 + "ﷺ " * 125 + "نهاية الفقرة."
    source = "عنوان\n\n" + paragraph + "\n"

    def tokens(text: str) -> int:
        return len(encoder.model.tokenizer(encoder.prompts.get("passage", "") + text)["input_ids"])

    unchecked = passages_of(source)
    checked = passages_of(source, fits=encoder.fits)

    assert len(paragraph) <= 400 and max(tokens(p.embedding_text()) for p in unchecked) > encoder.model.max_seq_length
    assert len(checked) > len(unchecked)
    assert all(tokens(p.embedding_text()) <= encoder.model.max_seq_length for p in checked)
    assert "".join(p.text for p in checked).replace(" ", "") == paragraph.strip().replace(" ", "")
    for p in checked:
        assert source[p.start : p.end] == p.text
