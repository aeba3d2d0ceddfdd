"""Find the answer by aligning the question's wording with a sentence around its question word.

A question usually repeats the words that sit next to the answer: in 这种庙宇被称为什么？ the
word before 什么 is 称为, and the sentence says 这种庙宇称为阴庙. The answer starts after the
left anchor (the content words just before the question word) and stops before the right anchor
(the words just after it) or at the clause's end; when the question word modifies a noun
(什么理论, 哪个系) that noun closes the answer instead.
"""

from __future__ import annotations

import re
from functools import lru_cache

from qa.text import normalize, pos_tags

_WH = re.compile(
    r"^(什么样?|哪(一|个|些|种|里|儿|家|位|所|座|年|天|月|国|部|条|项|类|场|支|队|本)?|谁|多少|几|何(时|地|处|人|种)?|怎(样|么样?)|如何|为什么|为何)$"
)
_DETERMINERS = re.compile(r"^(什么|哪(一|个|些|种|家|所|座|部|条|项|类|场|支|队|本)?|几|多少)$")
_COPULAS = "是为由叫于在：:「“\"'（("
_CLAUSE_END = re.compile(r"[，。；！？,;!?）)」”]")
_NAMING = {"叫", "叫做", "称", "称为", "名为", "简称", "又称", "别称", "名叫", "命名为", "俗称", "统称"}
_POSSESSIVE_Q = re.compile(r"^(.{2,}?)(?:是|为)(?:哪|什么|谁)")
_SKIP_LEFT = {"的", "了", "是", "为", "被", "在", "有", "又", "也", "都", "就", "还", "曾", "将", "会", "能"}
MAX_ANSWER = 40


@lru_cache(maxsize=4096)
def _question_tokens(question: str) -> tuple[tuple[str, str], ...]:
    return pos_tags(normalize(question))


def aligned_span(sentence: str, question: str) -> tuple[int, int, bool] | None:
    """The span of `sentence` the question's wording points at: (start, end, firm), or None.

    `firm` is True when the span is bounded on both sides by the question's own words (or the
    question has no words after its question word); False when only the left side aligned.
    """
    tokens = _question_tokens(question)
    wh = next((i for i, (w, _) in enumerate(tokens) if _WH.match(w)), None)
    if wh is None:
        return None
    folded = normalize(sentence)
    possessor = _possessor(folded, normalize(question))
    if possessor:
        return possessor
    rights = _right_anchors(tokens, wh)
    naming = wh > 0 and tokens[wh - 1][0] in _NAMING
    marker = tokens[wh - 1][0] if wh > 0 and tokens[wh - 1][0] in _SKIP_LEFT else ""
    for anchor in _left_anchors(tokens, wh):
        for m in re.finditer(re.escape(anchor), folded):
            span = _span_after(folded, m.end(), rights)
            if span:
                # 被哪个队伍选中 → …被NBA巴尔的摩子弹队选中: the function word just before the
                # question word marks where the answer starts when the anchor lies further left.
                cut = folded.rfind(marker, span[0], span[1]) if marker else -1
                if cut >= 0 and cut + len(marker) < span[1]:
                    span = (cut + len(marker), span[1], span[2])
                return _name_only(folded, span) if naming else span
    if wh == 0 and rights:
        # The question word opens the question (谁发明了…): the answer ends where its right context begins.
        idx = folded.find(rights[0][0])
        if idx > 0:
            start = max((m.end() for m in _CLAUSE_END.finditer(folded, 0, idx)), default=0)
            if 0 < idx - start <= MAX_ANSWER:
                return start, idx, True
    return None


def _left_anchors(tokens: tuple[tuple[str, str], ...], wh: int) -> list[str]:
    """The one or two content words before the question word, longest anchor first."""
    left = [w for w, flag in tokens[:wh] if flag != "x"]
    while left and left[-1] in _SKIP_LEFT:
        left.pop()
    anchors = []
    if len(left) >= 2:
        anchors.append(left[-2] + left[-1])
    if left:
        anchors.append(left[-1])
    if len(left) >= 2 and left[-1] in _NAMING:
        # 创新药叫什么 → …创新药科露平: the sentence often drops the 叫
        anchors.extend([left[-3] + left[-2]] if len(left) >= 3 else [])
        anchors.append(left[-2])
    return [a for a in anchors if len(a) >= 2]


def _possessor(folded: str, question: str) -> tuple[int, int, bool] | None:
    """X是哪家公司的产品 → in "…，Y的…X…", Y: the owner named before 的 in the clause that names X."""
    match = _POSSESSIVE_Q.match(question)
    if not match or "的" not in question[match.end() :]:
        return None
    subject = match.group(1)
    idx = folded.find(subject)
    if idx < 0:
        return None
    clause_start = max((m.end() for m in _CLAUSE_END.finditer(folded, 0, idx)), default=0)
    de = folded.find("的", clause_start, idx)
    if de - clause_start >= 2 and de - clause_start <= 20:
        return clause_start, de, True
    return None


def _name_only(folded: str, span: tuple[int, int, bool]) -> tuple[int, int, bool]:
    """A name asked for with 叫/称为 ends where the sentence's next verb begins (科露平获批上市 → 科露平)."""
    pos = 0
    for word, flag in pos_tags(folded[span[0] : span[1]]):
        if flag.startswith("v") and pos > 0:
            return span[0], span[0] + pos, span[2]
        pos += len(word)
    return span


def _right_anchors(tokens: tuple[tuple[str, str], ...], wh: int) -> list[tuple[str, bool]]:
    """The words after the question word: (word, closes-the-answer-inclusively), nearest first."""
    following = [(w, flag) for w, flag in tokens[wh + 1 :] if flag != "x" and w != "的"][:2]
    anchors = []
    for n, (word, flag) in enumerate(following):
        # After 哪个/什么/多少 a noun or a one-character word (系, 条, 队) is the head the answer ends with.
        is_head = n == 0 and bool(_DETERMINERS.match(tokens[wh][0])) and (flag.startswith("n") or len(word) == 1)
        anchors.append((word, is_head))
    return anchors


def _span_after(folded: str, start: int, rights: list[tuple[str, bool]]) -> tuple[int, int, bool] | None:
    while start < len(folded) and folded[start] in _COPULAS:
        start += 1  # 称为阴庙 / 建筑师为德国ABB…: skip the copula between anchor and answer
    stop = _CLAUSE_END.search(folded, start)
    end = stop.start() if stop else len(folded)
    firm = not rights
    for right, is_head in rights:
        idx = folded.find(right, start, end + len(right))
        if idx > start:
            end = idx + len(right) if is_head else idx
            firm = True
            break
    while end > start and folded[end - 1] in "的了":
        end -= 1
    if 0 < end - start <= MAX_ANSWER:
        return start, end, firm
    return None
