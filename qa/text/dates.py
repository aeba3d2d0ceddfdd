"""Dates written in English words and digits, found whole: where one starts and ends in a text.

A subword reader cuts dates at a token it likes: it answers `2024` from "3 September 2024",
`October` from "October 2016", `1967` from "January 27, 1967". The reader's span is widened to the
date it cuts into (`qa.reading.trained.edges`), so the grammar here names a date's whole extent:

- day, month and year in either order, with a weekday before them ("Monday, 12 May 1997",
  "March 14, 2024", "the 3rd of May"), a month and year, a year alone, numeric forms (2022-01-17,
  17/01/2022, 17.01.2022) and decades ("the 1990s");
- an era after a year ("79 AD", "480 BC");
- ranges between two such dates ("2003 and 2005" after "between", "1914 to 1918" after "from",
  "1939–1945").

What comes before a date and narrows or introduces it ("late" October 2023, "the autumn of"
2019, "between" 2003 and 2005, "Monday," 12 May) is recognised but left out of the span: answer
sets keep or drop those words from one question to the next (XQuAD has "late 1980s" and "1349"
for "the spring of 1349"), so a reader's span is carried to the date's core and no further.

Chinese dates (2010年2月2日) are read by `qa.reading.trained.answer_fit`; their units already end them.
"""

from __future__ import annotations

import re

_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?)"
)
_WEEKDAY = r"(?:(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?\s+)"
_DAY = r"(?:[12][0-9]|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:[12][0-9]{3}|[0-9]{1,4}\s*(?:BCE?|AD|CE)|AD\s*[0-9]{1,4})"
_DECADE = r"(?:(?:the\s+)?[12][0-9]{2}0s)"
_NUMERIC = r"(?:[12][0-9]{3}-[01]?[0-9]-[0-3]?[0-9]|[0-3]?[0-9][/.][01]?[0-9][/.](?:[12][0-9]{3}|[0-9]{2}))"
_SEASON = r"(?:spring|summer|autumn|fall|winter)"
# What narrows a month, a year or a decade to part of it: "late October", "the autumn of 2019".
_PART = (
    rf"(?:(?:(?:the\s+)?(?:early|late|mid)(?:-|\s+))|(?:the\s+)?(?:beginning|start|end|middle|{_SEASON})\s+of\s+"
    rf"|{_SEASON}\s+)"
)
_SINGLE = (
    rf"(?:{_WEEKDAY}?(?:the\s+)?{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR})?"
    rf"|{_WEEKDAY}?{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?(?![0-9])"
    rf"|{_NUMERIC}"
    rf"|{_PART}?{_MONTH}(?:,?\s+{_YEAR})?"
    rf"|{_PART}?{_DECADE}"
    rf"|{_PART}?{_YEAR})"
)
_RANGE = (
    rf"(?:between\s+{_SINGLE}\s+and\s+{_SINGLE}|from\s+{_SINGLE}\s+(?:to|until|till)\s+{_SINGLE}"
    rf"|{_SINGLE}\s*[-–—]\s*{_SINGLE})"
)
_LEAD = re.compile(rf"^(?:(?:between|from)\s+|{_WEEKDAY}|{_PART}|the\s+)+", re.IGNORECASE)
_DATE = re.compile(rf"(?<![\w.-])(?:{_RANGE}|{_SINGLE})(?![\w-])", re.IGNORECASE)
_YEAR_ALONE = re.compile(rf"(?<![\w.]){_YEAR}(?![\w])", re.IGNORECASE)


def date_spans(text: str) -> list[tuple[int, int]]:
    """[start, end) of every date's core in the text, without the words that lead into it.

    A lone lower-case "may", "march" or "fall" is a verb more often than a month and is skipped."""
    spans = []
    for match in _DATE.finditer(text):
        if _lower_month_only(match.group()):
            continue
        lead = _LEAD.match(match.group())
        spans.append((match.start() + (lead.end() if lead else 0), match.end()))
    return [(s, e) for s, e in spans if s < e]


def is_date(text: str) -> bool:
    """Whether the whole text is one date or range, the words that lead into it included."""
    return bool(_DATE.fullmatch(text.strip())) and not _lower_month_only(text)


def year_of(text: str) -> tuple[int, int] | None:
    """[start, end) of the one year a date names ("2010" in "25 February 2010"); None when it names
    none or several (a range)."""
    years = list(_YEAR_ALONE.finditer(text))
    return years[0].span() if len(years) == 1 else None


_BARE_MONTH = re.compile(r"\b(?:may|march|jan|mar|jun|jul|aug|sept?|oct|nov|dec|fall)\b")


def _lower_month_only(date: str) -> bool:
    """A match that is only a lower-case word that doubles as a month ("may", "march", "fall")."""
    return bool(_BARE_MONTH.fullmatch(date.strip()))
