"""Answer spans end on word edges in spaced scripts and stay exact in Chinese."""

from __future__ import annotations

import pytest

from qa.text import whole_words
from qa.text.words import literal_terms


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


@pytest.mark.parametrize(
    "question,literals",
    [
        ("Which Wang Wei poem contains the line 明月松间照?", ["明月松间照"]),  # Chinese copied into English
        ("What is the title of the issue whose file value is 2023-04-05.0020?", ["2023-04-05.0020"]),
        ("“野渡无人舟自横”出自哪首诗？", ["野渡无人舟自横"]),  # quoted
        ("《春夜喜雨》的作者是谁？", ["春夜喜雨"]),
        ("What does docket FAA-2020-0746 concern?", ["faa-2020-0746"]),
        ("What was Zone GC's profit in 2023?", []),  # a year or an apostrophe is nothing to find verbatim
        ("兴业银行盐城分行的剩余额度是多少万元？", []),  # a Chinese question's Chinese is what BM25 already reads
    ],
)
def test_literal_terms_are_what_a_question_copied_from_the_document(question: str, literals: list[str]) -> None:
    assert literal_terms(question) == literals
