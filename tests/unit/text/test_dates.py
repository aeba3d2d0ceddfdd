"""English dates found whole (qa.text.dates): the extent a reader's span is widened to."""

from __future__ import annotations

import pytest

from qa.text.dates import date_spans, is_date, year_of


@pytest.mark.parametrize(
    "text,dates",
    [
        ("It was published on 3 September 2024. It adds", ["3 September 2024"]),
        ("followed on March 14, 2024, after a delay", ["March 14, 2024"]),
        ("the beta appeared in June 2021, and", ["June 2021"]),
        ("version 1.0 shipped on 2022-01-17.", ["2022-01-17"]),
        ("signed on 17/01/2022 in Oslo", ["17/01/2022"]),
        ("reopened on Saturday 5th October 2019 after", ["5th October 2019"]),  # the weekday leads in
        ("opened on Monday, 12 May 1997, nine years", ["12 May 1997"]),
        ("founded in the autumn of 2019 by", ["2019"]),
        ("finished in late October 2023.", ["October 2023"]),
        ("added between 2003 and 2005 at a cost", ["2003 and 2005"]),
        ("in operation from 1870 to 1939.", ["1870 to 1939"]),
        ("the war (1939–1945) ended", ["1939–1945"]),
        ("during the 1990s and early 1980s", ["1990s", "1980s"]),
        ("closed since Dec. 2008, is due", ["Dec. 2008"]),
        ("in 79 AD the town", ["79 AD"]),
        ("the 3rd of May", ["3rd of May"]),
    ],
)
def test_a_date_is_found_whole_without_its_lead_words(text: str, dates: list[str]) -> None:
    assert [text[s:e] for s, e in date_spans(text)] == dates


@pytest.mark.parametrize(
    "text",
    [
        "It may rain, and we march on.",  # verbs, not months
        "It cost 12,000 euros for 1.5 hours",
        "pages 10-12 of the report",
        "在2010年2月2日",  # a Chinese date ends in its own units (answer_fit reads those)
    ],
)
def test_no_date_where_there_is_none(text: str) -> None:
    assert date_spans(text) == []


def test_is_date_takes_the_lead_words_in() -> None:
    assert is_date("late 1980s") and is_date("October 6, 1973") and is_date("between 2005 and 2010")
    assert not is_date("October 6, 1973 in Cairo") and not is_date("may")


def test_year_of_a_date() -> None:
    text = "25 February 2010"
    span = year_of(text)
    assert span is not None and text[span[0] : span[1]] == "2010"
    assert year_of("1939–1945") is None and year_of("October") is None
