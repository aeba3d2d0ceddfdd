"""Does a span fit the answer a question asks for? For the trained reader's n-best spans.

The trained reader scores spans by P(start)·P(end) and knows nothing of what was asked: asked
多少家, it may still return 第二批 when 19家 is among its runners-up, or stop at 18兆 when the
question names 兆瓦. Some questions name their answer's form plainly: a count in a unit
(多少家, 几个, 多少兆瓦), a percentage (比例是多少), a sum of money (投资多少), a date or year
(何时, 哪一年). For those, `choose` lets a runner-up of the asked form replace the reader's span
(see its rule), and a number cut short of the unit the question names is completed from the
passage text.

Question words come from `qa.reading.questions` (the classifier both readers share); everything here
reads Simplified text of the same length as the original, so offsets are unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.reading.questions import ASKS_YEAR, DATE, MEASURE_WORDS, NUMBER, question_type
from qa.reading.reader import ScoredSpan
from qa.text import fold
from qa.text.dates import is_date

QUANTITY, PERCENT, MONEY = "quantity", "percent", "money"
EXACT, LOOSE, NONE = 2, 1, 0  # how well a span fits: the form asked for / holds a number / not at all

_DIGITS = r"[0-9]+(?:[.,][0-9]+)*"
_HAN_NUM = r"[零〇一二两三四五六七八九十百千万亿]+(?:点[零〇一二三四五六七八九]+)?"
_NUMBER = rf"(?:{_DIGITS}|{_HAN_NUM})"
# A quantity may open with a hedge (约, 近, 超过) and span a range (3至6); scale words follow digits.
_HEDGE = r"(?:约|大约|近|将近|接近|超过|逾|达|共|仅|仅用|至少|多达|高达|整整)?(?:数|上|几)?"
_AMOUNT = rf"{_HEDGE}{_NUMBER}(?:\s*(?:至|到|-|~|～|—)\s*{_NUMBER})?\s*(?:多|余|几)?\s*[十百千万亿]*"
_CURRENCY = r"(?:元|美元|欧元|英镑|日元|港元|港币|澳门币|新台币|台币|人民币|韩元|卢布|法郎|马克|镑|块钱|块)"
# A digit, or a Chinese numeral with a measure word after it: 一系列 and 统一 hold no number.
_HAS_NUMBER = re.compile(rf"[0-9]|百分之|{_HAN_NUM}\s*(?:多|余)?\s*(?:{MEASURE_WORDS}|%)")
_PERCENT = re.compile(rf"{_AMOUNT}\s*[%％]|百分之{_HAN_NUM}|{_HAN_NUM}成")
_MONEY = re.compile(rf"{_AMOUNT}\s*{_CURRENCY}")
_COUNT = re.compile(rf"{_AMOUNT}\s*(?:{MEASURE_WORDS}|[\u4e00-\u9fff])?")
_DATE_PIECE = (
    rf"(?:{_NUMBER}\s*(?:年代|年|月份|月|日|号|世纪)|(?:今|去|明|前|同|当)年|(?:春|夏|秋|冬)季|"
    r"[上中下]旬|年?(?:初|底|末|中)|年间|时期|期间|末年|初年|(?:January|February|March|April|May|June|July|August|September|"
    r"October|November|December)|[12][0-9]{3})"
)
# An era or dynasty may name the year (民国17年, 康熙四十八年, 公元68年, 清朝嘉庆年间).
_ERA = r"(?:公元前|公元|西元|民国|[\u4e00-\u9fff]{1,2}朝)?[\u4e00-\u9fff]{0,2}?"
_DATE_FULL = re.compile(rf"{_ERA}(?:{_DATE_PIECE}\s*,?\s*)+")
_DATE_ANY = re.compile(_DATE_PIECE)
_YEAR = re.compile(rf"{_NUMBER}\s*年(?!代)|[12][0-9]{{3}}")
_ASKS_PERCENT = re.compile(r"比例|比率|比重|占比|百分比|百分之几|几成|[增成]长率|[^比]率(?:是|为|有|达)?(?:多少|几)")
_ASKS_MONEY = re.compile(
    r"多少钱|价格|价钱|售价|金额|花费|费用|耗资|成本|造价|投资|融资|资金|预算|营收|收入|税收|产值|市值|利润|赔偿|票价|奖金|薪水|工资|"
    r"销售额|营业额|收益|总值|经费|贷款|债务|捐款|开支|支出|罚款|补贴|存款|军费"
)
# Characters that may open a span without belonging to the answer's form (在2004年, 于6月).
_LEAD = "在于从自约近达共仅"


@dataclass(frozen=True)
class Expected:
    """The form of answer a question asks for; unit is the measure word it names (家 in 多少家)."""

    kind: str  # QUANTITY | PERCENT | MONEY | DATE
    unit: str = ""
    year: bool = False  # a DATE question that asks for the year itself (哪一年)
    ordinal: bool = False  # 第几届 asks for 第三届, not 3届


def expected(question: str) -> Expected | None:
    """The answer form a question names, or None when it names none (who/what/why questions)."""
    folded = fold(question)
    qtype = question_type(folded)
    if qtype.kind == DATE or re.search(r"(?:民国|公元|西元)几年", folded):  # 民国几年 asks for a year, not a count
        return Expected(DATE, year=bool(ASKS_YEAR.search(folded)))
    if qtype.kind != NUMBER or not _asks_number(folded):
        return None
    if _ASKS_PERCENT.search(folded):
        return Expected(PERCENT)
    unit = qtype.unit if qtype.unit and not qtype.unit.isascii() else ""
    latin = re.search(r"(?:多少|几)\s*([A-Za-z]{1,4}|℃)(?![A-Za-z])", folded)  # 多少K, 多少MW: a symbol is a unit too
    unit = unit or (latin.group(1) if latin else "")
    if unit == "钱":  # 多少钱 names money, not a measure word
        return Expected(MONEY)
    if not unit and _ASKS_MONEY.search(folded):
        return Expected(MONEY)
    return Expected(QUANTITY, unit, ordinal="第几" in folded)


def _asks_number(question: str) -> bool:
    # 多少/几 ask for a number; 多大/多长 may be answered in words. 几 also sits inside words (新几内亚, 几乎, 茶几).
    return bool(re.search(r"多少|(?<![新茶])几(?!乎|何|内亚|率)", question))


def fit(text: str, want: Expected) -> int:
    """EXACT when the whole text is of the asked form, LOOSE when it holds one (or a number), else NONE."""
    text = fold(text).strip()
    core = text.lstrip(_LEAD).rstrip("，。、；,.")
    if want.kind == DATE:
        if not _DATE_ANY.search(core) or (want.year and not _YEAR.search(core)):
            return NONE
        return EXACT if _DATE_FULL.fullmatch(core) or is_date(core) else LOOSE  # is_date: October 6, 1973
    named = want.unit and re.search(rf"{_HAN_NUM}\s*{re.escape(want.unit)}", core)  # 十二任: 任 is no listed unit
    if not (_HAS_NUMBER.search(core) or named):
        return NONE
    if want.kind == PERCENT:
        form = _PERCENT
    elif want.kind == MONEY:
        form = _MONEY
    elif want.unit:
        form = re.compile(rf"{_AMOUNT}\s*{re.escape(want.unit)}")
    else:
        form = _COUNT
    if want.ordinal:
        return EXACT if text.startswith("第") and form.fullmatch(text[1:]) else LOOSE
    return EXACT if form.fullmatch(core) else LOOSE


def complete(passage: str, start: int, end: int, want: Expected) -> int:
    """The span's end, moved past the rest of the unit the question names when the passage goes on
    with it (18兆 + 瓦 for 多少兆瓦; 4500万 + 元 for a sum of money)."""
    text = fold(passage)
    span = text[start:end]
    units = [want.unit] if want.unit else []
    if want.kind == MONEY:
        units += ["元", "美元", "欧元", "英镑", "日元", "港元", "港币", "新台币", "台币"]
    if want.kind == PERCENT:
        units += ["%", "％"]
    if not span or not _HAS_NUMBER.search(span):
        return end
    for unit in units:
        for cut in range(len(unit) - 1, -1, -1):  # longest part of the unit already in the span first
            done, rest = unit[:cut], unit[cut:]
            if span.endswith(done) and text.startswith(rest, end) and (cut or ends_in_number(span)):
                return end + len(rest)
    return end


def ends_in_number(span: str) -> bool:
    """Whether the text ends in a number, in digits or Chinese numerals (多 or 余 may follow)."""
    return bool(re.search(rf"(?:{_NUMBER}|[十百千万亿])\s*(?:多|余)?$", span))


def choose(
    passage: str, spans: Sequence[ScoredSpan], want: Expected | None, ratio: float = 0.0, penalty: float = 1.0
) -> ScoredSpan | None:
    """The span to answer with, from candidates sorted best first: (start, end, score).

    Without an expected form it is the first. With one, a runner-up of a better fit replaces the
    first when the first does not fit at all, or when the question names the form exactly (a unit,
    a percentage, a sum of money), or when it lies inside the first (42栋 inside 42栋15万平方米);
    a looser hint (a year, a bare number) does not overrule the reader's own reading of
    民国17年 or 咸丰二年. A runner-up must score at least `ratio` times the first (one far behind
    is more often another fact than the asked one). Numbers are completed with the named unit.

    The score is the first candidate's, the passage's confidence of holding an answer, times
    `penalty` when no candidate has the asked form: then another passage that has one wins, and a
    passage that has none clears the no-answer threshold less easily. ratio and penalty are chosen
    from labels (qa.evaluation.calibration); ratio 0 and penalty 1 leave every score as the reader gave it.
    """
    if not spans:
        return None
    top = spans[0]
    if want is None:
        return top
    end = complete(passage, top[0], top[1], want)
    best = (top[0], end, fit(passage[top[0] : end], want))
    named = want.kind in (PERCENT, MONEY) or bool(want.unit)
    first = best[2]
    for s, e, score in spans[1:]:
        if best[2] == EXACT or score < ratio * top[2]:
            break
        e = complete(passage, s, e, want)
        level = fit(passage[s:e], want)
        inside = top[0] <= s and e <= end
        if level > best[2] and (first == NONE or (level == EXACT and (named or inside))):
            best = (s, e, level)  # the best-scoring candidate of each better fit in turn, EXACT ends it
    return ScoredSpan(best[0], best[1], top[2] * (1.0 if best[2] == EXACT else penalty))


def reader_penalty(penalty: float, retrieval_weight: float) -> float:
    """The factor on the reader's score that puts `penalty` on the combined score
    reader^(1-w) · evidence^w (qa.answering.combined_score): a passage without the asked form is
    marked down as much whatever the weight, instead of the weight's exponent muting it."""
    if retrieval_weight >= 1.0:
        return 0.0 if penalty < 1.0 else 1.0
    return penalty ** (1.0 / (1.0 - retrieval_weight))
