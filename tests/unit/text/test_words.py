"""Answer spans end on word edges in spaced scripts and stay exact in Chinese."""

from __future__ import annotations

import pytest

from qa.text import whole_words


@pytest.mark.parametrize(
    "text,cut,whole",
    [
        ("Last autumn they harvested about 12,000 tonnes of apples.", "12,000 tonn", "12,000 tonnes"),
        ("It is how an attacker might write markup.", "ight write", "might write"),
        ("The café opened in Zürich.", "afé opened in Zür", "café opened in Zürich"),
        ("Москва — столица России.", "осква", "Москва"),
        ("already whole words stay as they are", "whole words", "whole words"),
        ("占地1000亩，是全球首个海上风电产业园。", "1000亩", "1000亩"),  # Chinese: no word edges to find
        ("全角数字１２３４５出现在中间。", "２３４", "２３４"),  # full-width: left as read
    ],
)
def test_spans_are_widened_to_whole_words_in_spaced_scripts(text: str, cut: str, whole: str) -> None:
    start = text.index(cut)
    s, e = whole_words(text, start, start + len(cut))
    assert text[s:e] == whole
