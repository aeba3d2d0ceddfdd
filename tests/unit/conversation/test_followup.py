"""Follow-up questions completed from the turn before (rules only; the reader's choice is tested in test_asking)."""

from __future__ import annotations

import pytest

from qa.conversation.followup import AS_ASKED, ELLIPSIS, PRONOUN, SUBJECT, readings
from qa.conversation.turns import Turn


def first(question: str, previous: str, answer: str | None) -> list[str]:
    return [r.question for r in readings(question, [Turn(previous, answer)])]


def test_without_history_a_question_is_read_as_asked() -> None:
    assert [(r.question, r.how) for r in readings("它的股票代码是多少？", [])] == [("它的股票代码是多少？", AS_ASKED)]


def test_a_question_that_stands_alone_stays_as_asked() -> None:
    found = readings("深圳证券交易所位于哪个城市？", [Turn("腾讯的总部在哪里？", "深圳")])
    assert [r.how for r in found] == [AS_ASKED]


@pytest.mark.parametrize(
    ("previous", "answer", "question", "expected"),
    [
        # A demonstrative naming the kind the previous question asked for takes its answer.
        ("宁德时代是哪家公司的供应商？", "特斯拉", "该公司的总部在哪里？", "特斯拉的总部在哪里？"),
        ("《静夜思》出自哪位诗人？", "李白", "他的字是什么？", "李白的字是什么？"),
        # A pronoun after a question about a number or date takes the previous subject.
        ("长江大桥全长多少米？", "1670米", "它哪一年通车？", "长江大桥哪一年通车？"),
        # A place word takes the previous subject.
        ("苏州工业园区成立于哪一年？", "1994年", "那里有多少家外资企业？", "苏州工业园区有多少家外资企业？"),
    ],
)
def test_a_pronoun_takes_what_it_points_to(previous: str, answer: str, question: str, expected: str) -> None:
    found = readings(question, [Turn(previous, answer)])
    assert found[0].question == expected
    assert found[0].how == PRONOUN


def test_an_ambiguous_pronoun_offers_both_readings() -> None:
    # 它 after "哪家公司" may be the company (its headquarters) or the drug (its kind): the reader decides.
    assert first("它是什么类型的药物？", "恒瑞霉素是哪家公司研发的？", "恒瑞医药") == [
        "恒瑞医药是什么类型的药物？",
        "恒瑞霉素是什么类型的药物？",
    ]


@pytest.mark.parametrize(
    ("previous", "question", "expected"),
    [
        ("苏州高新区第一批入选的企业有多少家？", "第三批呢？", "苏州高新区第三批入选的企业有多少家？"),
        ("2021年全市的GDP是多少？", "2022年呢？", "2022年全市的GDP是多少？"),
        ("上海中心大厦高多少米？", "总投资呢？", "上海中心大厦总投资多少？"),
    ],
)
def test_an_ellipsis_fills_the_same_slot(previous: str, question: str, expected: str) -> None:
    found = readings(question, [Turn(previous, "若干")])
    assert found[0].question == expected
    assert found[0].how == ELLIPSIS


def test_a_missing_subject_takes_the_previous_subject_and_keeps_the_question_as_asked_too() -> None:
    found = readings("每年产值多少？", [Turn("宁波光伏产业园占地多少亩？", "800亩")])
    assert found[0].question == "宁波光伏产业园每年产值多少？"
    assert found[0].how == SUBJECT
    assert found[-1].how == AS_ASKED


@pytest.mark.parametrize(
    ("previous", "answer", "question", "expected"),
    [
        (
            "What is Acme Corp's ticker symbol?",
            "ACME",
            "What is its fiscal year end?",
            "What is Acme Corp's fiscal year end?",
        ),
        ("Who founded Contoso Labs?", "Jane Smith", "Where was she born?", "Where was Jane Smith born?"),
        ("How many permits were issued in Ohio?", "1,200", "And for Texas?", "How many permits were issued in Texas?"),
        ("What was revenue in 2021?", "$3m", "And in 2022?", "What was revenue in 2022?"),
    ],
)
def test_english_follow_ups(previous: str, answer: str, question: str, expected: str) -> None:
    assert first(question, previous, answer)[0] == expected
