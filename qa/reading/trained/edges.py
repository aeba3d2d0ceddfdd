"""Where a trained reader's span should start and end, from the question's own wording.

A reader trained on one paragraph per question places a span's edges less surely than its
middle, and three misplacements follow the question's wording closely enough to undo:

- it **repeats the question** before the answer: asked 科州制药的1类创新药叫什么, it returns
  科州制药的1类创新药科露平; the part the question already says (6 characters or more) is cut;
- it **runs past a possessor**: asked 阿基仑赛注射液是哪家公司的产品 (whose product), it returns
  复星凯特的国内首个CAR-T; the answer is what comes before 的;
- it **stops short of the noun asked for**: asked 哪家公司, it returns 江苏 where the passage goes
  on 博俊工业科技股份有限公司; the span is carried on to that noun when the passage reaches it
  within a short run of one name (no punctuation, no 是/的/在/和 between).

They apply to questions written mostly in Chinese characters only; before them, and for every
question, a span that cuts into a word of a spaced script (English) is widened to the whole word,
one that cuts into a date written in English words and digits is widened to the whole date
(`2024` → `3 September 2024`, `October` → `October 2016`; `qa.text.dates`) unless the question
asks for the year alone, which a whole date is then cut to (`25 February 2010` → `2010`).
Each rule moved the shipped reader's figures on the calibration fold of DRCD test up (overall F1
77.6 → 78.3; docs/quality.md). Texts are read folded to Simplified half-width, which keeps every
offset.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qa.reading.questions import ASKS_YEAR
from qa.reading.reader import ScoredSpan
from qa.reading.trained.answer_fit import ends_in_number
from qa.text import fold, is_mostly_cjk, pos_tags, whole_words
from qa.text.dates import date_spans, year_of

MIN_ECHO = 6  # shorter shared openings are often the answer's own words (南斯拉夫 in 南斯拉夫社會主義聯邦共和國)
MAX_REACH = 14  # characters a span may be carried on to the asked noun
_WH = re.compile(
    r"^(?:哪|什么|谁)(?:一?[个家位所座间种部本条支类名])?$"
)  # 哪家, 哪一所, 什么; not 为什么, 什么样, 哪一年
_MEASURE = "个家位所座间种部本条支类名"  # 哪 + 所 + 大学: jieba tags a lone measure word variously
_NOT_ASKED = {"时候", "方面", "样子"}  # 什么时候 asks a time, 哪方面 a respect, not a thing by name
_FUNCTION = "的是在了和与及或为于等"
_BREAK = re.compile(rf"[，。；！？、,.;!?（）()「」《》“”\s{_FUNCTION}]")
_OPEN, _CLOSE = "《「“（(", "》」”）)"
_FULL_STOPS = "。！？；!?;"
# A point that belongs to the word before it: initials (U.S., e.g.) and common short forms.
_ABBREVIATION = re.compile(r"(?:\b[A-Za-z]\.){2,}$|\b(?:Inc|Ltd|Co|Corp|No|St|Jr|Sr|Dr|Mr|Mrs|Ms|vs|etc|al)\.$")
_ECHO_JOIN = "的是为:：，,、 "  # what links a repeated question part to the answer (创新药科露平, 是X)
# Units written in more than one character, which a subword reader may cut in two (24公 of 24公分).
_UNITS = sorted(
    """公分 公里 公斤 公尺 公顷 公升 公亩 平方米 平方公里 平方千米 平方英里 立方米 千米 千克 千瓦 兆瓦 厘米 毫米 毫升
    纳米 微米 美元 欧元 英镑 日元 港元 港币 韩元 人民币 新台币 万元 亿元 百分点 摄氏度 华氏度 英里 英尺 英寸 海里
    小时 分钟 个月 周年""".split(),
    key=len,
    reverse=True,
)
_TRAILING = ",，、:：;；"  # marks that never end an answer (`2007,` from "8 February 2007, BSkyB")
_ASKS_YEAR_EN = re.compile(r"\b(?:what|which|what's the)\s+year\b|\bwhen year\b", re.I)


class Edges:
    """The edge rules for one question; `apply` moves its candidate spans in one passage."""

    def __init__(self, question: str) -> None:
        self.question = fold(question)
        # The rules read Chinese wording (是, 的, 哪, a repeat counted in characters): in an English
        # question "attacker markup" would cut "attacker m" off "attacker might write".
        self.chinese = is_mostly_cjk(self.question)
        self.possessor, self.head = _asked(pos_tags(self.question)) if self.chinese else (False, "")
        self.asks_year = bool(ASKS_YEAR.search(self.question) or _ASKS_YEAR_EN.search(self.question))

    def apply(self, text: str, spans: Sequence[ScoredSpan]) -> list[ScoredSpan]:
        """The candidates with their edges moved, best first; two that meet keep the higher score.

        `text` is the passage as the reader read it, folded like the question (`qa.text.fold`)."""
        moved: dict[tuple[int, int], float] = {}
        for s, e, score in spans:
            s, e = self._edges(text, s, e)
            moved[(s, e)] = max(score, moved.get((s, e), 0.0))
        return sorted((ScoredSpan(s, e, score) for (s, e), score in moved.items()), key=lambda c: -c[2])

    def _edges(self, text: str, start: int, end: int) -> tuple[int, int]:
        start, end = whole_words(text, start, end)  # a subword reader may end 12,000 tonnes at "tonn"
        start, end = _whole_number(text, start, end)
        end = _before_full_stop(text, start, end)
        start, end = self._date(text, start, end)
        end = _whole_unit(text, start, end)
        if self.chinese:
            start, end = self._chinese(text, start, end)
        return _paired(text, start, end)

    def _chinese(self, text: str, start: int, end: int) -> tuple[int, int]:
        """The rules that read the Chinese question's wording: its echo, a possessor, the noun asked for."""
        start += self._echo(text[start:end])
        span = text[start:end]
        if self.possessor:
            cut = next((i for i, c in enumerate(span) if c == "的" and i > 0 and _balanced(span[:i])), None)
            end = end if cut is None else start + cut
        if (
            self.head and not text[start:end].endswith(self.head) and text[end - 1 : end] not in _CLOSE
        ):  # 《男人四十》 is whole
            reach = text[end : end + MAX_REACH].find(self.head)
            if reach >= 0 and not _BREAK.search(text[end : end + reach]):
                end += reach + len(self.head)
        return start, end

    def _date(self, text: str, start: int, end: int) -> tuple[int, int]:
        """The span widened to the English date it cuts into, or cut to the year it names when that
        is what was asked."""
        near = max(0, start - 60)  # dates are short: the span's neighbourhood holds any it cuts into
        for s, e in date_spans(text[near : end + 60]):
            s, e = s + near, e + near
            if s < end and start < e:  # they overlap
                if self.asks_year and start <= s and e <= end and (year := year_of(text[s:e])):
                    return s + year[0], s + year[1]
                if not self.asks_year and (start > s or end < e):  # cuts into it
                    return min(start, s), max(end, e)
        return start, end

    def _echo(self, span: str) -> int:
        """How many opening characters of the span repeat the question (with what joins them), 0 if
        fewer than MIN_ECHO or nothing would be left."""
        for n in range(len(span), MIN_ECHO - 1, -1):  # the longest repeated opening
            if span[:n] in self.question:
                rest = span[n:].lstrip(_ECHO_JOIN)
                return len(span) - len(rest) if rest else 0
        return 0


def _whole_number(text: str, start: int, end: int) -> tuple[int, int]:
    """The span carried over the rest of a number it cuts at a decimal point or a thousands comma
    (`1.` of 1.5 million, `000` of 12,000)."""
    while 1 < end < len(text) and text[end - 1] in ".," and text[end - 2].isdigit() and text[end].isdigit():
        end += 1
        while end < len(text) and text[end].isdigit():
            end += 1
    while 1 < start < len(text) and text[start - 1] in ".," and text[start - 2].isdigit() and text[start].isdigit():
        start -= 1
        while start > 0 and text[start - 1].isdigit():
            start -= 1
    return start, end


def _whole_unit(text: str, start: int, end: int) -> int:
    """The span's end carried over the rest of a unit it cuts in two after a number: `24公` of 24公分,
    `3平方` of 3平方公里. A number the reader ends before its unit is left alone: answer sets differ
    on whether to give the unit (answer_fit completes the one a question names)."""
    span = text[start:end]
    for unit in _UNITS:
        for cut in range(len(unit) - 1, 0, -1):
            head = span[: len(span) - cut]
            if span.endswith(unit[:cut]) and text.startswith(unit[cut:], end) and ends_in_number(head):
                return end + len(unit) - cut
    return end


def _paired(text: str, start: int, end: int) -> tuple[int, int]:
    """The span with its brackets and quotes paired: a closing mark whose opening one lies just
    before the span takes it in (「大学生研究计划」), an opening one is carried to its close when
    that comes within the sentence, and a mark left without its pair is dropped."""
    for opening, closing in zip(_OPEN, _CLOSE, strict=True):
        span = text[start:end]
        if len(span) < 2:
            break
        opened = span.count(opening) - span.count(closing)
        if opened < 0 and span.endswith(closing):
            if text[start - 1 : start] == opening:
                start -= 1
            else:
                end -= 1
        elif opened > 0 and span.startswith(opening):
            reach = text[end : end + MAX_REACH].find(closing)
            if reach >= 0 and not any(c in _FULL_STOPS for c in text[end : end + reach]):
                end += reach + 1
            else:
                start += 1
    return start, end


def _before_full_stop(text: str, start: int, end: int) -> int:
    """Where the span ends without the mark that ends its sentence: `2020.` is 2020, a table row's
    `71,137.` is 71,137 (rows end as sentences: `qa.ingest.readers.table_rows`). An abbreviation
    keeps its point (U.S., Inc.), and a span that is only the mark is left alone."""
    while end - start > 1 and (text[end - 1] in _FULL_STOPS or text[end - 1] in _TRAILING):
        end -= 1
    if end - start > 1 and text[end - 1] == "." and not _ABBREVIATION.search(text[start:end]):
        end -= 1
    return end


def _asked(tokens: Sequence[tuple[str, str]]) -> tuple[bool, str]:
    """(whose-question, the noun asked for) from the question's tagged words.

    Whose: 是 + question word + nouns + 的 + at most nouns (是哪家公司的产品, 是谁的作品; not
    是谁设计的 or 是哪一年出生的, where a verb comes before 的). The noun asked for: the first noun
    of the run right after the question word (哪家公司 → 公司, 哪一个研究机构 → 机构); none after
    谁, 哪一年 or 为什么, which ask no thing by name."""
    words = [w for w, _ in tokens]
    flags = [f for _, f in tokens]
    for i, word in enumerate(words):
        if not _WH.match(word):
            continue
        j = i + 1
        while j < len(words) and (flags[j] in ("m", "q", "mq") or words[j] in _MEASURE):
            j += 1
        run = j
        while run < len(words) and (flags[run].startswith("n") or flags[run] == "vn"):
            run += 1
        # The first noun: jieba tags some verbs as nouns further on (功能有所减弱: 有所), and 谁 asks
        # for a person, whatever noun follows (由谁代表中共中央).
        head = next((words[k] for k in range(j, run) if flags[k].startswith("n")), "") if word != "谁" else ""
        nouns = all(f.startswith("n") for f in flags[j:run])  # 是谁设计的: a verb, so not whose
        rest = [f for f in flags[run + 1 :] if f != "x"]  # after 的, ignoring the question mark
        possessor = (
            i > 0
            and words[i - 1] == "是"
            and nouns
            and run < len(words)
            and words[run] == "的"
            and all(f.startswith(("n", "m", "q", "vn")) for f in rest)
        )
        return possessor, "" if head in _NOT_ASKED else head
    return False, ""


def _balanced(text: str) -> bool:
    """No bracket or quote left open: a 的 inside 《失落的故事集》 is part of the name."""
    return sum(text.count(c) for c in _OPEN) <= sum(text.count(c) for c in _CLOSE)
