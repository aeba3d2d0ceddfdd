"""The answer-type choice over the trained reader's n-best spans (qa.reading.trained.answer_fit).

Questions and passages here were written for these tests, about facts that are not on the
shipped page, so they check the kinds of question (counts in a named unit, percentages, money,
dates and years, ordinals) rather than the regression set's examples.
"""

from __future__ import annotations

import pytest

from qa.reading.trained.answer_fit import (
    DATE,
    EXACT,
    LOOSE,
    MONEY,
    NONE,
    PERCENT,
    QUANTITY,
    choose,
    complete,
    expected,
    fit,
)


@pytest.mark.parametrize(
    "question,kind,unit",
    [
        ("这座水库一共淹没了多少个村庄？", QUANTITY, "个"),
        ("该市今年新开了几所小学？", QUANTITY, "所"),
        ("光伏电站的装机容量是多少千瓦？", QUANTITY, "千瓦"),
        ("這座水庫能蓄水多少立方米？", QUANTITY, "立方米"),  # Traditional, folded before reading
        ("示范区的耕地有多少亩？", QUANTITY, "亩"),
        ("全镇常住人口有多少？", QUANTITY, ""),
        ("研发人员占员工总数的比例是多少？", PERCENT, ""),
        ("去年的出口增长率是多少？", PERCENT, ""),
        ("新机场一共耗资多少？", MONEY, ""),
        ("买一张门票要多少钱？", MONEY, ""),
        ("这条铁路是什么时候通车的？", DATE, ""),
        ("博物馆是哪一年开馆的？", DATE, ""),
    ],
)
def test_questions_name_the_answer_form(question: str, kind: str, unit: str) -> None:
    want = expected(question)
    assert want is not None and (want.kind, want.unit) == (kind, unit)


@pytest.mark.parametrize(
    "question",
    [
        "这家医院的院长是谁？",
        "大桥位于哪条河上？",
        "为什么要修这条铁路？",
        "这款药物叫什么名字？",
        "What is the capital of France?",
    ],
)
def test_questions_without_a_form_expect_nothing(question: str) -> None:
    assert expected(question) is None


@pytest.mark.parametrize(
    "question,text,level",
    [
        ("这座水库一共淹没了多少个村庄？", "37个", EXACT),
        ("这座水库一共淹没了多少个村庄？", "约37个", EXACT),
        ("这座水库一共淹没了多少个村庄？", "37", LOOSE),
        ("这座水库一共淹没了多少个村庄？", "第三期", LOOSE),  # a number, not a count of villages
        ("这座水库一共淹没了多少个村庄？", "37个村庄和5座桥", LOOSE),
        ("这座水库一共淹没了多少个村庄？", "移民安置区", NONE),
        ("全镇常住人口有多少？", "一系列", NONE),  # 一 inside a word is not a number
        ("全镇常住人口有多少？", "数十万人", EXACT),
        ("全镇常住人口有多少？", "3.2万人", EXACT),
        ("研发人员占员工总数的比例是多少？", "43.5%", EXACT),
        ("研发人员占员工总数的比例是多少？", "百分之四十", EXACT),
        ("研发人员占员工总数的比例是多少？", "1200名", LOOSE),
        ("新机场一共耗资多少？", "约380亿元", EXACT),
        ("新机场一共耗资多少？", "2.5亿美元", EXACT),
        ("新机场一共耗资多少？", "4条跑道", LOOSE),
        ("这条铁路是什么时候通车的？", "1997年7月1日", EXACT),
        ("这条铁路是什么时候通车的？", "在去年", EXACT),
        ("这条铁路是什么时候通车的？", "1997年7月，当时", LOOSE),
        ("这条铁路是什么时候通车的？", "铁道部", NONE),
        ("博物馆是哪一年开馆的？", "1958年", EXACT),
        ("博物馆是哪一年开馆的？", "10月", NONE),  # asked for the year
        ("他是第几任校长？", "第十二任", EXACT),
        ("他是第几任校长？", "12任", LOOSE),
    ],
)
def test_fit_levels(question: str, text: str, level: int) -> None:
    want = expected(question)
    assert want is not None and fit(text, want) == level


@pytest.mark.parametrize(
    "passage,question,span,completed",
    [
        ("电站一期装机容量为25万千瓦，二期在建。", "电站一期装机容量是多少千瓦？", "25万千", "25万千瓦"),
        ("电站一期装机容量为25万千瓦，二期在建。", "电站一期装机容量是多少千瓦？", "25万", "25万千瓦"),
        ("新校区共建有宿舍楼12栋。", "新校区建了多少栋宿舍楼？", "12", "12栋"),
        ("項目年銷售額可達3億元。", "項目年銷售額是多少？", "3億", "3億元"),  # money in Traditional text
        ("合格率达到98.6%以上。", "合格率是多少？", "98.6", "98.6%"),
        ("电站一期装机容量为25万千瓦，二期在建。", "电站一期装机容量是多少千瓦？", "二期", "二期"),  # no unit follows
    ],
)
def test_a_number_is_completed_with_the_unit_the_passage_goes_on_with(
    passage: str, question: str, span: str, completed: str
) -> None:
    want = expected(question)
    assert want is not None
    start = passage.index(span)
    end = complete(passage, start, start + len(span), want)
    assert passage[start:end] == completed


def _spans(passage: str, texts_scores: list[tuple[str, float]]) -> list[tuple[int, int, float]]:
    return [(passage.index(t), passage.index(t) + len(t), p) for t, p in texts_scores]


def test_the_best_candidate_of_the_asked_form_wins_and_keeps_the_passage_score() -> None:
    passage = "第三期工程于2019年开工，搬迁了37个村庄，总投资约80亿元，移民满意率为92%。"
    ranked = _spans(passage, [("第三期", 0.5), ("37个村庄", 0.2), ("37个", 0.1), ("80亿元", 0.05), ("92%", 0.02)])
    assert choose(passage, ranked, None) == ranked[0]
    for question, answer in [
        ("工程搬迁了多少个村庄？", "37个"),
        ("工程总投资是多少？", "80亿元"),
        ("移民的满意率是多少？", "92%"),
        ("工程是哪一年开工的？", "2019年"),
    ]:
        cands = ranked + _spans(passage, [("2019年", 0.01)])
        s, e, score = choose(passage, cands, expected(question))  # type: ignore[misc]
        assert (passage[s:e], score) == (answer, 0.5)


def test_ratio_and_penalty() -> None:
    passage = "第三期工程搬迁了37个村庄。"
    ranked = _spans(passage, [("第三期", 0.5), ("37个", 0.01)])
    want = expected("工程搬迁了多少个村庄？")
    assert choose(passage, ranked, want, ratio=0.1) == (0, 3, 0.5)  # the typed span is too far behind
    assert choose(passage, ranked, want, ratio=0.1, penalty=0.5) == (0, 3, 0.25)  # and the passage is marked down
    assert choose(passage, ranked, want, ratio=0.01)[:2] == (8, 11)  # type: ignore[index]
