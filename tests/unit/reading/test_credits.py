"""Photo credits (王振宇摄) are not answers to questions about the page's subjects."""

from __future__ import annotations

import pytest

from qa.reading.trained.credits import asks_credit, is_credit

CAPTION = "图为位于肇庆高新区的广东博俊汽车精密零部件项目建设现场。王振宇摄"
GLUED = "工人在生产18兆瓦半直驱海上风电机组。新华社记者 姜克红摄\n2019年以来，产业园持续创新。"


def _span(text: str, part: str, extra: int = 0) -> tuple[int, int]:
    start = text.index(part)
    return start, start + len(part) + extra


@pytest.mark.parametrize(
    "text,part,extra",
    [
        (CAPTION, "王振宇", 0),
        (CAPTION, "王振宇", 1),  # the span takes 摄 with the name
        (GLUED, "姜克红", 0),  # followed by a line break and the next paragraph
        (GLUED, "新华社记者 姜克红", 0),
        ("（图片由张三/摄）", "张三", 0),
        ("市民在广场上休息。李四 摄 图为夜景。", "李四", 0),
    ],
)
def test_credits_are_recognised(text: str, part: str, extra: int) -> None:
    assert is_credit(text, *_span(text, part, extra))


@pytest.mark.parametrize(
    "text,part",
    [
        ("该片由张艺谋拍摄，2002年上映。", "张艺谋"),  # 拍摄 names a director: an answer
        ("张三摄影的作品获奖。", "张三"),
        (CAPTION, "广东博俊汽车精密零部件项目"),
        ("王振宇摄于北京", "北京"),
        (CAPTION, "图为"),
    ],
)
def test_other_spans_are_not_credits(text: str, part: str) -> None:
    assert not is_credit(text, *_span(text, part))
    assert not is_credit(text, 3, 3)  # an empty span


@pytest.mark.parametrize(
    "question,asks",
    [
        ("肇庆高新区的书记是谁？", False),
        ("博俊汽车项目的负责人叫什么名字？", False),
        ("这张照片是谁拍的？", True),
        ("建设现场的图片是谁摄影的？", True),
        ("报道的记者是谁？", True),
    ],
)
def test_which_questions_ask_for_a_credit(question: str, asks: bool) -> None:
    assert asks_credit(question) is asks
