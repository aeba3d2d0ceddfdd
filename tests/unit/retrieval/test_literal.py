"""The literal ranking: passages holding every token of what a question copied from them, BM25's best first."""

from __future__ import annotations

import numpy as np

from qa.retrieval.hybrid import Retriever
from qa.store import bm25

PASSAGES = [
    "title: 程序运行后一直卡住; file: 2023-04-05.0020",
    "title: 加油; file: 2023-04-06.0021",
    "The 2023 report, pages 04 to 05.",
    "竹喧归浣女，莲动下渔舟。明月松间照，清泉石上流。",
    "明月几时有，把酒问青天。",
]


class _Dense:
    """Stands in for FAISS: this test is about the lexical side, and a dense ranking would hide it."""

    size = len(PASSAGES)

    def search(self, vectors: np.ndarray, k: int, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        return np.zeros((len(vectors), k), np.float32), np.full((len(vectors), k), -1, np.int64)


def _retriever() -> Retriever:
    return Retriever(_Dense(), bm25.build(PASSAGES))  # type: ignore[arg-type]


def test_only_passages_holding_the_whole_term_rank() -> None:
    retriever = _retriever()
    assert retriever.literal("What is the title of the issue whose file value is 2023-04-05.0020?", 10) == [0]
    assert retriever.literal("Which poem contains the line 明月松间照?", 10) == [3]  # not the other 明月
    assert retriever.literal("Which poem mentions the moon?", 10) == []  # nothing copied: no ranking
    assert retriever.literal("What is 2099-01-01.0001?", 10) == []  # a token no passage has


def test_the_literal_ranking_lifts_a_passage_only_bm25_found() -> None:
    [hits] = _retriever().search_many(["file 2023-04-05.0020 title"], np.zeros((1, 4), np.float32), 3)
    assert hits[0].row == 0


CROSS = [
    "2023年的报告显示，公司在2023年营收增长，2023年利润也增长。",  # Chinese, full of the year an English question names
    "The 2023 annual report shows revenue grew.",
    "园区占地1000亩，总投资40亿元。",
]


class _CrossDense(_Dense):
    size = len(CROSS)


def _cross(chinese: list[bool] | None) -> Retriever:
    return Retriever(_CrossDense(), bm25.build(CROSS), chinese=chinese)  # type: ignore[arg-type]


def test_bm25_does_not_vote_for_chinese_passages_on_a_question_in_another_language() -> None:
    marks = [True, False, True]
    [english] = _cross(marks).search_many(["What did the 2023 report show?"], np.zeros((1, 4), np.float32), 3)
    assert [h.row for h in english] == [1]  # the Chinese passage's 2023s are not evidence for an English question
    [chinese] = _cross(marks).search_many(["2023年报告显示什么？"], np.zeros((1, 4), np.float32), 3)
    assert chinese[0].row == 0  # a Chinese question keeps BM25 over Chinese passages
    [unknown] = _cross(None).search_many(["What did the 2023 report show?"], np.zeros((1, 4), np.float32), 3)
    assert {h.row for h in unknown} == {0, 1}  # without the passages' scripts, BM25 votes as before
    [copied] = _cross(marks).search_many(["What does the line 占地1000亩 say?"], np.zeros((1, 4), np.float32), 3)
    assert copied[0].row == 2  # Chinese copied into an English question still finds its passage (literal terms)
