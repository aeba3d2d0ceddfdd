"""Text primitives: sentences, width/case/script folding that keeps every position, index and query terms."""

from __future__ import annotations

import pytest

from qa.text import index_tokens, normalize, query_terms, split_sentences


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        (
            "张江科学城位于上海。这里有很多药企！你知道吗？是的；当然。",
            ["张江科学城位于上海。", "这里有很多药企！", "你知道吗？", "是的；", "当然。"],
        ),
        (
            "崔映吟说：“这项制度已覆盖全国。”如今，吡咯替尼已经出海。",
            ["崔映吟说：“这项制度已覆盖全国。”", "如今，吡咯替尼已经出海。"],
        ),
        (
            "Output grew 3.5 times in a year. The U.S. market took half of it. Why? Costs fell!",
            ["Output grew 3.5 times in a year.", "The U.S. market took half of it.", "Why?", "Costs fell!"],
        ),
        pytest.param(
            'He said, "It works." Then he left.',
            ['He said, "It works."', "Then he left."],
        ),
        ("一串串鲜活的数字……一个更高层次的生态圈正在构建。", ["一串串鲜活的数字……", "一个更高层次的生态圈正在构建。"]),
        ("  没有句末标点的一句话  ", ["没有句末标点的一句话"]),
        ("", []),
        pytest.param(
            "Sales rose sharply in 2023. Exports fell.",
            ["Sales rose sharply in 2023.", "Exports fell."],
        ),
    ],
)
def test_split_sentences(text: str, sentences: list[str]) -> None:
    spans = split_sentences(text)

    assert [text[s:e] for s, e in spans] == sentences
    # The spans cover the text: in order, and only whitespace is left between them.
    ends = [0] + [e for _, e in spans]
    starts = [s for s, _ in spans] + [len(text)]
    assert all(text[e:s].strip() == "" for e, s in zip(ends, starts))


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("ＡＢＣ１２３", "abc123"),
        ("Ｈｅｌｌｏ，世界！", "hello,世界!"),
        ("吡咯替尼ＰＤ－１", "吡咯替尼pd-1"),
        ("ﬁle…", None),  # NFKC would lengthen both the ligature and the ellipsis
        ("Ⅻ ㍻ ㎏", None),
        pytest.param(
            "İstanbul",
            None,
        ),
    ],
)
def test_normalize_folds_width_and_case_and_keeps_length(text: str, folded: str | None) -> None:
    out = normalize(text)

    assert len(out) == len(text)
    if folded is not None:
        assert out == folded


def test_index_tokens_include_bigrams_and_fold_width() -> None:
    tokens = index_tokens("吡咯替尼是什么药？ＡＢＣ１２３ The port of Xiamen")

    # Bigrams let an unknown drug name match however jieba segments it.
    assert {"吡咯", "咯替", "替尼"} <= set(tokens)
    assert {"abc123", "port", "xiamen"} <= set(tokens)
    assert not {"the", "of", "是"} & set(tokens)


def test_query_terms_are_content_words_longest_first() -> None:
    terms = query_terms("What is the capacity of the Xiamen port?")

    assert set(terms) == {"capacity", "xiamen", "port"}
    assert [len(t) for t in terms] == sorted((len(t) for t in terms), reverse=True)
    assert "哪家" not in query_terms("吡咯替尼是哪家公司研发的？")


@pytest.mark.parametrize("text", ["İstanbul 东京 cafe\u0301 tokyo", "ﬁle ㎡ 東京 and e\u0301", "Ａ＿東京"])
def test_normalize_keeps_every_position(text: str) -> None:
    folded = normalize(text)
    assert len(folded) == len(text)
    i = text.find("东京") if "东京" in text else text.find("東京")
    assert folded[i : i + 2] == "东京"


# --- the embedding model's token limit ------------------------------------------------------------
