"""Gold answers made fit to train on (qa.reading.trained.gold_answers): trimmed, located, or left out."""

from __future__ import annotations

import pytest

from qa.reading.trained.gold_answers import Gold, fit, locate, trim


@pytest.mark.parametrize(
    "text,short",
    [
        ("下辖13个居委会。", "下辖13个居委会"),
        ("「我只是尽法官的本分」。", "「我只是尽法官的本分」"),
        ("都是跨国瀑布！ ", "都是跨国瀑布"),
        ("1963年", "1963年"),
        ("Acme Inc.", "Acme Inc."),  # a full stop in English may belong to the answer
    ],
)
def test_trim_cuts_only_the_closing_marks(text: str, short: str) -> None:
    assert trim(text) == short


def test_a_trimmed_answer_keeps_its_start() -> None:
    context = "江苏路街道下辖13个居委会。面积2.1平方千米。"
    gold = fit(context, "下辖13个居委会。", 5)
    assert gold == Gold("下辖13个居委会", 5, trimmed=True)
    assert isinstance(gold, Gold) and context[gold.start : gold.end] == gold.text


def test_an_offset_one_off_is_moved_to_the_nearest_occurrence() -> None:
    # CMRC 2018 train has 21 such answers, each 1 or 2 characters before its stated start.
    context = "他于日本出生，后来在日本定居。"
    assert locate(context, "日本", 11) == 10
    assert fit(context, "日本", 11) == Gold("日本", 10, located=True)


def test_an_answer_not_near_its_offset_is_left_out_with_a_reason() -> None:
    context = "北京是首都。" + "。" * 40 + "上海是城市。"
    assert locate(context, "北京", 40) is None
    assert isinstance(fit(context, "北京", 40), str)


def test_a_whole_clause_over_the_limit_is_left_out() -> None:
    clause = "本次赛事请来了8位分别来自加拿大、日本等的国际裁判执法，是全运会中首次以海外裁判负责执法跆拳道赛事。"
    assert fit(clause, clause, 0, max_chars=40) == "answer longer than 40 characters"
    assert isinstance(fit(clause, clause, 0, max_chars=None), Gold)
