"""Candidate answers of the kind a question asks for, in one sentence: the heuristic reader's knowledge.

Each kind (`qa.reading.questions`: quantities for 多少/几, dates for 何时/哪年, people for 谁,
places for 哪里, organisations for 哪家公司) has patterns or jieba part-of-speech tags that find
its candidates; each candidate's score is how well it fits the asked kind, 0..1.
"""

from __future__ import annotations

import re

from qa.reading.questions import DATE, NUMBER, ORG, PERSON, PLACE, REASON, QuestionType
from qa.reading.questions import MEASURE_WORDS as _UNIT_RE
from qa.reading.reader import ScoredSpan
from qa.text import is_cjk, pos_tags

_NUM = r"(?:[0-9０-９]+(?:[.,．/][0-9０-９]+)*|[零〇一二两三四五六七八九十百千万亿]+(?:点[零〇一二三四五六七八九]+)?)"
# Western quantities: a number, an optional scale word, and the unit word that follows it.
_EN_QUANTITY = re.compile(
    r"(?<![\w.])\d[\d,]*(?:\.\d+)?\s*(?:%|percent\b|(?:(?:thousand|million|billion|trillion)\s+)?[A-Za-z]+\b)?"
)
_CAPITALISED_RUN = re.compile(r"\b[A-Z][\w&'-]*(?:\s+(?:of\s+|and\s+|&\s+)?[A-Z][\w&'-]*)*")
_QUANTITY = re.compile(rf"{_NUM}(?:\s*[至到\-－~～]\s*{_NUM})?\s*(?:多|余)?\s*(?:[万亿千百]+)?\s*(?:{_UNIT_RE})?")
_DATE = re.compile(
    rf"(?:{_NUM}年(?:{_NUM}月(?:{_NUM}[日号])?)?|{_NUM}月{_NUM}[日号]|{_NUM}月(?:份|底|初|中旬|下旬|上旬)?|(?:今|去|明|前)年(?:{_NUM}月(?:{_NUM}[日号])?)?|{_NUM}世纪{_NUM}年代|"
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December)(?:\s+\d{1,2}(?!\d))?(?:,?\s+\d{4})?|\b(?:1[5-9]|20)\d{2}\b)"
)
_ORG_SUFFIX = re.compile(
    r"(?:公司|集团|医药|制药|生物|科技|银行|大学|学院|研究院|研究所|中心|实验室|委员会|管理局|协会|基金会|医院|学校|"
    r"电视台|报社|政府|法院|检察院|部|局|厅|署|社|所|院|厂|馆|Inc\.?|Ltd\.?|Corporation|Company|University|Institute)"
)
_PLACE_SUFFIX = re.compile(r"(?:省|市|区|县|镇|乡|村|州|岛|湾|港|园区|新区|高新区|开发区|科学城|山|河|湖)")
# Characters that end a name run: punctuation and function words that never sit inside a name.
_NAME_BREAK = re.compile(
    r"[\s，。、；：！？“”‘’「」『』（）()《》〈〉【】\[\],.;:!?\"']|的|是|在|与|及|对|向|为|由|被|将|把|从|等|了|也|都|于"
)
# 位于新界青衣岛 → 新界青衣岛: a located-at phrase up to the clause's end.
_LOCATED = re.compile(r"(?:位于|坐落于|座落于|坐落在|地处|设于|位在|总部设在|总部位于)([^，。；、,;（(的]{2,30})")
_REASONS = [
    re.compile(
        r"(?:因为|由于|因|为了)([^。；;]{2,60}?)(?=[，,]\s*(?:所以|因此|故|才|而|致使|使得|导致|从而)|[。；;]|$)"
    ),
    re.compile(r"([^，。；,;]{2,60})[，,]\s*(?:因此|所以|致使|使得|导致|从而|故而)"),
]


def candidates(sentence: str, qtype: QuestionType) -> list[ScoredSpan]:
    """Spans of the asked type inside a sentence (offsets relative to the sentence)."""
    if qtype.kind == NUMBER:
        return _quantities(sentence, qtype.unit)
    if qtype.kind == DATE:
        return [ScoredSpan(m.start(), m.end(), 1.0) for m in _DATE.finditer(sentence) if m.group().strip()]
    if qtype.kind == PERSON:
        return _tagged(sentence, {"nr", "nrfg", "nrt"}, None) + _capitalised(sentence)
    if qtype.kind == PLACE:
        located = [ScoredSpan(m.start(1), m.end(1), 0.95) for m in _LOCATED.finditer(sentence)]
        return (
            located
            + _tagged(sentence, {"ns"}, _PLACE_SUFFIX, extend={"ns", "n", "nz", "s", "m", "q", "j"})
            + _capitalised(sentence)
        )
    if qtype.kind == REASON:
        return [ScoredSpan(m.start(1), m.end(1), 0.9) for pattern in _REASONS for m in pattern.finditer(sentence)]
    if qtype.kind == ORG:
        return _name_runs(sentence, _ORG_SUFFIX) + _tagged(sentence, {"nt"}, None) + _capitalised(sentence)
    return []


def _capitalised(sentence: str) -> list[ScoredSpan]:
    """Runs of capitalised words, the names of Latin-script text (not the sentence's first word alone)."""
    out = []
    for m in _CAPITALISED_RUN.finditer(sentence):
        if m.start() == 0 and " " not in m.group():
            continue
        out.append(ScoredSpan(m.start(), m.end(), 0.7))
    return out


def _quantities(sentence: str, unit: str) -> list[ScoredSpan]:
    if not is_cjk(sentence):
        return _en_quantities(sentence, unit)
    out = []
    for m in _QUANTITY.finditer(sentence):
        text = m.group().strip()
        end = m.start() + len(m.group().rstrip())
        if unit and not text.endswith(unit) and sentence.startswith(unit, end):
            text += unit  # a measure word the list lacks but the question names (多少对 → 16至20对)
        if not re.search(r"[0-9０-９零〇一二两三四五六七八九十百千万亿]", text) or _DATE.fullmatch(text):
            continue
        if re.fullmatch(r"[零〇一二两三四五六七八九十百千万亿]+", text):
            continue  # a bare Chinese numeral is usually part of a word (一系列, 十亿美金 is kept via its unit)
        fit = 1.0 if unit and text.endswith(unit) else 0.75 if re.search(rf"(?:{_UNIT_RE})$", text) else 0.5
        if unit and not text.endswith(unit):
            fit *= 0.6
        start = m.start() + (len(m.group()) - len(m.group().lstrip()))
        out.append(ScoredSpan(start, start + len(text), fit))
    return out


def _en_quantities(sentence: str, unit: str) -> list[ScoredSpan]:
    out = []
    for m in _EN_QUANTITY.finditer(sentence):
        text = m.group().rstrip()
        words = text.split()
        has_unit = len(words) > 1 or text.endswith("%")
        # "heliostats" answers "how many heliostats"; compare stems so metre/metres both match.
        unit_match = bool(unit) and has_unit and words[-1].lower()[:5] == unit[:5]
        fit = 1.0 if unit_match else 0.75 if has_unit and not unit else 0.5
        out.append(ScoredSpan(m.start(), m.start() + len(text), fit))
    return out


def _tagged(
    sentence: str, flags: set[str], suffix: re.Pattern[str] | None, extend: set[str] | None = None
) -> list[ScoredSpan]:
    """Runs of consecutive tokens with the given tags (a split surname and given name rejoin).

    With `extend`, a run that began with one of `flags` goes on over tokens tagged `extend`
    (香港/ns 新界/ns 青衣岛/n), so a place comes out whole rather than as its first word.
    """
    out: list[ScoredSpan] = []
    pos = 0
    run: tuple[int, int] | None = None
    for word, flag in [*pos_tags(sentence), ("", "x")]:
        start, pos = pos, pos + len(word)
        starts = flag in flags
        continues = run is not None and run[1] == start and extend is not None and flag in extend and pos - run[0] <= 16
        if (starts or continues) and len(word.strip()) > 0:
            run = (run[0], pos) if run and run[1] == start else (start, pos)
            continue
        if run and run[1] - run[0] >= 2:
            out.append(ScoredSpan(run[0], run[1], 0.9))
        run = None
    if suffix is not None:
        out.extend(c for c in _name_runs(sentence, suffix) if all(c.start != o.start or c.end != o.end for o in out))
    return out


def _name_runs(sentence: str, suffix: re.Pattern[str]) -> list[ScoredSpan]:
    """Stretches between name breaks, cut after their last type suffix (…研究所, …公司, …医药)."""
    out = []
    pos = 0
    for piece in _NAME_BREAK.split(sentence):
        start = sentence.find(piece, pos) if piece else pos
        pos = start + len(piece)
        ends = [m.end() for m in suffix.finditer(piece) if m.start() >= 2]
        if not ends:
            continue
        lead = len(piece) - len(piece.lstrip())
        text = piece[lead : ends[-1]]
        if 3 <= len(text) <= 24:
            out.append(ScoredSpan(start + lead, start + ends[-1], 0.85))
    return out
