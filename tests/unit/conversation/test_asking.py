"""The reading the reader is surest of wins; a fake pipeline stands in for the reader (its scores are the point)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qa.answering import Answer
from qa.conversation.asking import PREFER_FIRST, ask, begin
from qa.conversation.turns import Turn
from qa.pipeline import Result, SearchResult


class Scored:
    """Answers each question with the score given for it (None: no answer), and records what it was asked."""

    def __init__(self, scores: dict[str, float | None]) -> None:
        self.scores = scores
        self.asked: list[list[str]] = []

    def begin(self, questions: Sequence[str], top_k: int = 5, filters: Any = None) -> Steps:
        self.asked.append(list(questions))
        return Steps([self._result(q) for q in questions])

    def _result(self, question: str) -> Result:
        score = self.scores.get(question)
        answer = None if score is None else Answer(f"answer to {question}", "p", 0, 1, score)
        return Result(question=question, answer=answer, passages=[], took_ms=1.0)


@dataclass
class Steps:
    results: list[Result]

    def passages(self) -> list[SearchResult]:
        return [SearchResult(r.question, [], 1.0) for r in self.results]

    def answers(self) -> list[Result]:
        return self.results


HISTORY = [Turn("恒瑞霉素是哪家公司研发的？", "恒瑞医药")]


def test_the_surer_reading_wins_and_the_result_keeps_the_question_asked() -> None:
    pipeline = Scored({"恒瑞医药是什么类型的药物？": 0.2, "恒瑞霉素是什么类型的药物？": 0.9})
    result, reading = ask(pipeline, "它是什么类型的药物？", HISTORY, 5)
    assert pipeline.asked == [["恒瑞医药是什么类型的药物？", "恒瑞霉素是什么类型的药物？"]]  # one batch
    assert reading.question == "恒瑞霉素是什么类型的药物？"
    assert result.question == "它是什么类型的药物？"
    assert result.answer is not None and result.answer.text == "answer to 恒瑞霉素是什么类型的药物？"


def test_the_first_reading_wins_a_near_tie_and_an_answer_beats_none() -> None:
    near = Scored({"恒瑞医药是什么类型的药物？": 0.5, "恒瑞霉素是什么类型的药物？": 0.5 + PREFER_FIRST / 2})
    assert ask(near, "它是什么类型的药物？", HISTORY, 5)[1].question == "恒瑞医药是什么类型的药物？"
    none_first = Scored({"恒瑞医药是什么类型的药物？": None, "恒瑞霉素是什么类型的药物？": 0.05})
    assert ask(none_first, "它是什么类型的药物？", HISTORY, 5)[1].question == "恒瑞霉素是什么类型的药物？"


def test_a_question_without_history_is_asked_once_as_it_is() -> None:
    pipeline = Scored({"腾讯的总部在哪里？": 0.7})
    _, reading = ask(pipeline, "腾讯的总部在哪里？", [], 5)
    assert pipeline.asked == [["腾讯的总部在哪里？"]]
    assert reading.how == "as asked"


def test_the_likeliest_readings_passages_come_first_under_the_question_asked() -> None:
    pipeline = Scored({})
    passages, reading = begin(pipeline, "它是什么类型的药物？", HISTORY, 5).passages()
    assert passages.query == "它是什么类型的药物？"
    assert reading.question == "恒瑞医药是什么类型的药物？"
