"""What a question is about: its subject, the names it mentions, the noun it asks for, its question tail.

Rules over jieba's words and a few markers, Chinese and English; no parser. They only have to be
right often enough for the reader to choose among the readings they propose (`qa.conversation.asking`).
"""

from __future__ import annotations

import re

from qa.text.script import is_mostly_cjk
from qa.text.words import pos_tags

# A leading clause before the subject: 截至2023年底，… / 表7-2中，… / 2023年至今，…
_LEAD = re.compile(r"^[^，,？?]{1,24}[，,]\s*")
# Where a Chinese subject ends: a verb, a preposition, a particle, an attribute or a question word.
_SUBJECT_END = re.compile(
    "是|有(?!限)|为|在|占|由|被|获|将|已|的|共|累计|新增|何|哪|多少|什么|谁|几|如何|怎么|怎样|与|和|主要|位于|以|经过"
    "|拥有|每年|新建|梳理|此次|第|让|于|出自|按照|参与|成为|率先|提出|叫|属于|所属|总投资|投资|产值|税收|占地|面积"
    "|全长|长度|高度|宽度|深度|重量|人口|总量|规模|价格|成本|收入|营收|利润|总额|数量|总部|市值|股价|人数|员工|成立|建成|通车"
    "|吗|呢|？|\\?"
)
_WH = re.compile(r"哪|什么|谁|几|多少|何|怎|\b(?:what|which|who|whom|whose|when|where|why|how)\b", re.I)
_PROPER_TAGS = frozenset({"nr", "ns", "nt", "nz", "nrt", "nrfg"})
_TITLE = re.compile(r"《[^》]{1,30}》|“[^”]{2,30}”")
_CJK_RUN = re.compile(r"[\u3400-\u9fff][\u3400-\u9fff0-9A-Za-z·()（）-]*[\u3400-\u9fff]")
_MONTHS = frozenset("january february march april may june july august september october november december".split())
_EN_SKIP = frozenset({"i", "in", "on", "at", "the", "a", "an", "and", "or", "of", "for", "to", "what", "which", "who"})
# A run of capitalised words (Zone GC, Galaxy Gaming, New South Wales), possibly possessive.
_EN_NAME = re.compile(r"\b[A-Z][\w&.-]*(?:\s+(?:of\s+|de\s+)?[A-Z][\w&.-]*)*(?:'s)?")
# 哪家公司 / 哪首诗 / 哪个国家 / which company / what kind of drug
_ZH_ASKED = re.compile(
    r"哪一?(?:家|个|位|所|首|篇|本|部|种|座|款|项|条|只|支)?([^的为是在与和将获批出有成？?里儿]{1,4})"
)
_EN_ASKED = re.compile(r"\b(?:which|what)\s+(?!(?:is|was|are|were|does|did|do|kind|type|sort)\b)([a-z]+)", re.I)
_ZH_UNIT_AFTER_WH = re.compile(r"^(多少|几)[\u4e00-\u9fff]?(?=[？?]?$)")


def subject(question: str) -> str | None:
    """The subject a question is about (福建三峡海上风电国际产业园占地多少亩？ -> 福建三峡海上风电国际产业园)."""
    if not is_mostly_cjk(question):
        names = english_names(question)
        return names[0] if names else None
    text = question.strip()
    lead = _LEAD.match(text)
    if lead and len(text) - lead.end() >= 4:
        text = text[lead.end() :]
    cut = next((m.start() for m in _SUBJECT_END.finditer(text) if m.start() >= 2), len(text))
    found = text[:cut].strip(" ，,。“”")
    if text.startswith(("多少", "几"), cut) and len(found) > 3 and found[-1] in "高长宽深重大远厚":
        found = found[:-1]  # 上海中心大厦高多少米: 高 asks, it does not name
    title = _TITLE.search(found)
    if title:  # 《春夜喜雨》中“随风潜入夜”的… is about the poem
        return title.group()
    if len(found) < 2 or _WH.search(found):
        return None
    return found


def names(question: str) -> list[str]:
    """Names a question mentions: titles and quotations, jieba's proper nouns, English names; longest first."""
    found = [m.group() for m in _TITLE.finditer(question)]
    if is_mostly_cjk(question):
        # jieba cuts unknown names short (吡咯 of 吡咯替尼), so only its longer proper nouns count.
        found += [w for w, flag in pos_tags(question) if flag in _PROPER_TAGS and len(w) >= 3]
        found += [w for w, flag in pos_tags(question) if flag == "eng" and len(w) >= 2]
    else:
        found += english_names(question)
    return sorted(dict.fromkeys(found), key=len, reverse=True)


def english_names(question: str) -> list[str]:
    """Capitalised names and Chinese runs in an English question, in order (its first word, months and
    question words left out): What is Galaxy Gaming's trading symbol? -> Galaxy Gaming."""
    found = []
    for match in _EN_NAME.finditer(question):
        words = match.group().removesuffix("'s").split()
        while words and (words[0].lower() in _EN_SKIP or words[0].lower() in _MONTHS):
            words = words[1:]
        name = " ".join(w for w in words if w.lower() not in _MONTHS)
        if name and not (match.start() == 0 and len(words) == 1 and name == match.group()):
            found.append(name)
    found += [m.group() for m in _CJK_RUN.finditer(question)]
    return found


def asked_noun(question: str) -> str | None:
    """The noun a which-question asks for: 哪家公司 -> 公司, 哪首诗 -> 诗, which company -> company."""
    match = _ZH_ASKED.search(question)
    if match:
        tagged = pos_tags(match.group(1))
        nouns = [w for w, flag in tagged if flag.startswith("n")]
        return nouns[-1] if nouns else (tagged[0][0] if tagged else None)
    match = _EN_ASKED.search(question)
    return match.group(1).lower() if match else None


def question_tail(question: str, keep_unit: bool = True) -> str:
    """A Chinese question from its question word on (…占地多少亩？ -> 多少亩？; without the unit: 多少？)."""
    match = re.search(r"(?:是|有|为|约|达)?(?:多少|几|什么|哪|谁|何时|何|如何|怎么)", question)
    if not match:
        return "是什么？"
    tail = question[match.start() :]
    if not keep_unit:
        tail = _ZH_UNIT_AFTER_WH.sub(r"\1", tail.removeprefix("是").removeprefix("有"))
    return tail if tail.endswith(("？", "?")) else tail + "？"


def stem(question: str) -> str | None:
    """A Chinese question before its question word and the verb that asks it (郑州高新区累计获批链主企业多少家？
    -> 郑州高新区累计获批链主企业), its leading clause left out; None where little is left."""
    text = question.strip()
    lead = _LEAD.match(text)
    if lead and len(text) - lead.end() >= 4:
        text = text[lead.end() :]
    match = re.search(r"(?:是|有|为|约|达|共有|共)?(?:多少|几|什么|哪|谁|何时|何|如何|怎么)", text)
    found = text[: match.start()].rstrip("，, ") if match else ""
    return found if len(found) >= 2 else None


_ZH_OBJECT = re.compile(
    r"(?:多少|几|哪一?[年天月个家])[^？?，,]{0,6}?(?:成立|建立|建设|推出|发布|获得|开展|研发|签约|引进|提出|打造)了?"
    r"(?P<object>[\u4e00-\u9fff][^？?，,。]{1,30}?)[？?]?$"
)


def object_of(question: str) -> str | None:
    """What a Chinese question's subject did something to, after its question word and verb
    (张江于哪一年成立了国内首家国家级生物医药孵化器？ -> 国内首家国家级生物医药孵化器)."""
    match = _ZH_OBJECT.search(question.strip())
    return match.group("object") if match else None
