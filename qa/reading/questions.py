"""What kind of answer a question asks for: a number (in the unit it names), a date, a person, a
place, an organisation, a reason, or something else. Both readers read it: the heuristic one to
find candidates of that kind, the trained one to prefer a span of the asked form (`answer_fit`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.text import STOPWORDS

NUMBER, DATE, PERSON, PLACE, ORG, REASON, OTHER = "number", "date", "person", "place", "org", "reason", "other"

# Measure words and units, longest first so 万平方米 wins over 万.
_UNITS = sorted(
    """
    亩 家 个 元 万元 亿元 千元 美元 万美元 亿美元 平方米 万平方米 平方公里 万平方公里 平方千米 万平方千米
    立方米 万立方米 公顷 万亩 米 公里 千米 厘米 毫米 吨 万吨 千克 公斤 克 升 毫升 台 栋 人 名 位 项 次 年 个月
    月 天 日 小时 分钟 秒 岁 倍 种 所 座 辆 件 条 兆瓦 千瓦 瓦 度 层 户 只 款 批 类 部 篇 本 张 块 套 届 期 强
    余家 多家 万人 亿人 万辆 万台 万个 % ％
    """.split(),
    key=len,
    reverse=True,
)
_UNIT_RE = "|".join(re.escape(u) for u in _UNITS)
MEASURE_WORDS = _UNIT_RE  # the regex alternation of the units above
# A date question that asks for the year itself (哪一年, 民国几年), not a day or a month.
ASKS_YEAR = re.compile(r"哪一?年|何年|几几年|什么年份|哪个年份|(?:民国|公元|西元)几年")
_EN_UNIT_AFTER = re.compile(r"\bhow (?:many|much)\s+([a-z]+)", re.I)


@dataclass(frozen=True)
class QuestionType:
    kind: str
    unit: str = ""  # the measure word a 多少/几 question asks for (亩 in 占地多少亩), if any


_TYPE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    (REASON, re.compile(r"为什么|为何|何故|什么原因|原因是什么|\bwhy\b", re.I)),
    (
        DATE,
        re.compile(
            r"何时|什么时候|哪一?年|哪一?天|哪一?月|几月|几号|几日|何年|哪个月|什么时间|哪个时间"
            r"|\bwhen\b|what (year|date|time)",
            re.I,
        ),
    ),
    (
        NUMBER,
        re.compile(
            r"多少|几[^乎]|多[大长高重远久深宽厚快]"
            r"|\bhow (many|much|long|large|big|far|old|tall|high)\b|what (percentage|number)",
            re.I,
        ),
    ),
    (PERSON, re.compile(r"谁|哪位|何人|什么人|哪些人|叫什么名字|\bwho(m|se)?\b", re.I)),
    (
        ORG,
        re.compile(
            r"哪[家所]|哪个(公司|机构|企业|单位|部门|大学|学校|医院|组织|集团|银行)|什么(公司|机构|企业|单位|组织)"
            r"|which (company|firm|organi[sz]ation|institute|university)|what (company|firm|organi[sz]ation)",
            re.I,
        ),
    ),
    (
        PLACE,
        re.compile(
            r"哪里|哪儿|何地|何处|在哪|哪个(国家|城市|省|地区|地方|区|县|市)|什么地方|哪座"
            r"|\bwhere\b|which (city|country|province|region)",
            re.I,
        ),
    ),
]
_UNIT_AFTER = re.compile(rf"(?:多少|几)\s*({_UNIT_RE}|[\u4e00-\u9fff](?=[\u4e00-\u9fff？?]|$))")


def question_type(question: str) -> QuestionType:
    """Classify a question by the answer it asks for."""
    for kind, pattern in _TYPE_PATTERNS:
        if pattern.search(question):
            unit = ""
            if kind == NUMBER:
                match = _UNIT_AFTER.search(question) or _EN_UNIT_AFTER.search(question)
                unit = match.group(1).lower() if match else ""
                unit = "" if unit.isascii() and unit in STOPWORDS else unit  # "how much did it cost" names no unit
            return QuestionType(kind, unit)
    return QuestionType(OTHER)
