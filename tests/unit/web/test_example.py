"""`web.chat.drawn_example`: which example a collection's passages give the question box."""

from __future__ import annotations

import pytest

from qa.ingest.passages import Passage
from web.chat import DEMO_QUESTION, TITLE_CHARS, drawn_example


def passage(doc: str, title: str, text: str = "Some text of a passage long enough to be one.") -> Passage:
    return Passage(
        id=f"{doc}#0",
        doc=doc,
        path=f"{doc}.txt",
        title=title,
        section="",
        kind="body",
        text=text,
        start=0,
        end=len(text),
    )


def test_the_demo_question_only_where_a_passage_answers_it() -> None:
    answered = passage("page", "keji ribao", "位于福清市的福建三峡海上风电国际产业园总投资40亿元，占地1000亩。")
    named = passage("other", "风电", "福建三峡海上风电国际产业园在福清。")  # named, not answered
    assert drawn_example([named, answered]) == ("placeholder_question", DEMO_QUESTION)
    assert drawn_example([named]) == ("placeholder_topic", "风电")


def test_the_document_with_most_passages_the_first_of_equals() -> None:
    passages = [
        passage("a", "Alpha"),
        passage("b", "Beta"),
        passage("b", "Beta"),
        passage("c", "Gamma"),
        passage("c", "Gamma"),
    ]
    assert drawn_example(passages) == ("placeholder_topic", "Beta")


@pytest.mark.parametrize(
    "title,shown",
    [
        ("  Annual\n report   2023 ", "Annual report 2023"),
        ("x" * (TITLE_CHARS + 5), "x" * (TITLE_CHARS - 1) + "…"),
        ("y" * TITLE_CHARS, "y" * TITLE_CHARS),
    ],
)
def test_titles_are_tidied_and_bounded(title: str, shown: str) -> None:
    assert drawn_example([passage("a", title)]) == ("placeholder_topic", shown)


def test_untitled_documents_give_no_example() -> None:
    assert drawn_example([passage("a", " "), passage("a", "")]) is None
    assert drawn_example([passage("a", ""), passage("b", "Named")]) == ("placeholder_topic", "Named")
    assert drawn_example([]) is None
