"""Scoring functions against hand-computed cases (CMRC 2018 normalisation, LCS-based F1)."""

from __future__ import annotations

import pytest

from qa.evaluation.metrics import contains_answer, exact_match, f1, normalize_answer, segment


@pytest.mark.parametrize(
    "text,expected",
    [
        ("1000亩", "1000亩"),
        ("“和黄医药”。", "和黄医药"),
        ("  The Big  Dog! ", "thebigdog"),
        ("張江科學城，", "張江科學城"),
        ("ＡＢＣ１２３", "abc123"),
        ("", ""),
    ],
)
def test_normalize_answer(text: str, expected: str) -> None:
    assert normalize_answer(text) == expected


def test_segment_splits_chinese_characters_and_keeps_words() -> None:
    assert segment("PD-1抑制剂 Paxlovid, 2021年") == ["pd", "1", "抑", "制", "剂", "paxlovid", "2021", "年"]


@pytest.mark.parametrize(
    "prediction,answers,em",
    [
        ("1000亩", ["1000亩"], 1.0),
        ("1000亩。", ["1000亩"], 1.0),
        ("占地1000亩", ["1000亩"], 0.0),
        ("歐洲", ["歐洲", "欧洲"], 1.0),
        ("the Big Dog", ["big dog", "The big dog"], 1.0),
        (None, ["x"], 0.0),
        ("x", [], 0.0),
        ("", ["x"], 0.0),
    ],
)
def test_exact_match(prediction, answers, em: float) -> None:
    assert exact_match(prediction, answers) == em


@pytest.mark.parametrize(
    "prediction,answers,expected",
    [
        # 占地1000亩 → [占,地,1000,亩]; gold [1000,亩]; LCS 2 → P 2/4, R 2/2 → F1 2/3
        ("占地1000亩", ["1000亩"], 2 / 3),
        # Traditional vs Simplified: 張[江科]學城 / 张[江科]学城 share the contiguous 江科 (LCS 2; 城 is apart)
        # → P 2/5, R 2/5 → F1 0.4
        ("張江科學城", ["张江科学城"], 0.4),
        ("張江科學城", ["張江科學城"], 1.0),
        # English words are whole tokens: [the,big,dog] vs [a,big,dog] → LCS 2 → P 2/3 R 2/3 → 2/3
        ("the big dog", ["a big dog"], 2 / 3),
        # Mixed: [nba,巴,尔,的,摩,子,弹,队] vs [巴,尔,的,摩,子,弹,队] → LCS 7 → P 7/8 R 1 → 14/15
        ("NBA巴尔的摩子弹队", ["巴尔的摩子弹队"], 14 / 15),
        # Max over gold answers.
        ("北京", ["上海", "北京市"], 0.8),
        ("", ["北京"], 0.0),
        (None, ["北京"], 0.0),
        ("北京", [], 0.0),
        ("，。", ["北京"], 0.0),
    ],
)
def test_f1(prediction, answers, expected: float) -> None:
    assert f1(prediction, answers) == pytest.approx(expected)


def test_contains_answer_ignores_punctuation_and_width() -> None:
    assert contains_answer("占地１０００亩，是我国首个", ["1000亩"])
    assert not contains_answer("占地100亩", ["1000亩"])
    assert not contains_answer("anything", [""])
