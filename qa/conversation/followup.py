"""A follow-up question completed from the turn before it, without a generative model.

A question that leans on the previous turn does so in a few ways, and each has a rule:
- a pronoun or demonstrative (它的股票代码, 该公司, 这首诗, its, he) takes what it points to: the
  previous answer where the previous question asked for a thing of that kind (哪家公司 -> 该公司),
  else the previous question's subject;
- an ellipsis (第二批呢？, 总投资呢？, and for Indiana?) takes the previous question with the new
  part put in the slot of the same kind (a batch, a year, a name), or asked of the same subject;
- a missing subject (将购进多少台设备？) takes the previous question's subject.
Where a rule cannot tell two readings apart (它 after 哪家公司 may be the company or the drug), it
returns both, most likely first, and the reader's confidence decides (`qa.conversation.asking`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from qa.conversation import topic
from qa.conversation.turns import Turn
from qa.reading.questions import DATE, NUMBER, ORG, PERSON, PLACE, question_type
from qa.text.script import is_mostly_cjk
from qa.text.words import pos_tags

AS_ASKED = "as asked"
PRONOUN = "pronoun"
ELLIPSIS = "ellipsis"
SUBJECT = "missing subject"
MAX_READINGS = 3


@dataclass(frozen=True)
class Reading:
    """How a question was read: the text asked, the rule that made it, and what it took from before."""

    question: str
    how: str = AS_ASKED
    referent: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "how": self.how, "referent": self.referent}


_ZH_PERSON = re.compile(r"他们|她们|(?<!其)他|她")
_ZH_THING = re.compile(r"它们|它|其(?![他中实余次])")
_ZH_PLACE = re.compile(r"这里|那里|这儿|那儿|当地|该地")
_ZH_DEMONSTRATIVE = re.compile(
    r"(?:该|这|那|此)(?!次|样|么|些年|时|里|儿|地)(?:一)?(?:家|个|项|首|篇|位|种|所|座|款|批|部|本|条|只|支|份)?"
)
_ZH_ELLIPSIS = re.compile(r"^(?:那么?|还有|而)?\s*(?P<x>[^？?]{1,30}?)(?:的情况|怎么样|如何)?呢\s*[？?]?$")
_ZH_SLOTS = (
    re.compile(r"第[一二三四五六七八九十百\d]+[批期季届次轮章节]"),
    re.compile(r"\d{4}年(?:\d{1,2}月)?"),
    re.compile(r"\d{1,2}月(?:份)?"),
    re.compile(r"[上下]半年"),
)
_EN_PRONOUN = re.compile(r"\b(its|it|their|they|them|his|her|he|she|him)\b", re.I)
_EN_POSSESSIVE = frozenset({"its", "their", "his", "her"})
_EN_PERSONAL = frozenset({"his", "her", "he", "she", "him"})
_EN_ELLIPSIS = re.compile(
    r"^(?:and|but|what about|how about|and what about)\s+(?:(?P<prep>for|in|of|at|on|from|with)\s+)?"
    r"(?P<x>[^?]+?)\s*\??$",
    re.I,
)
_EN_PREPOSITIONS = frozenset({"for", "in", "of", "at", "on", "from", "with", "by"})
_EN_LEAD = re.compile(r"^(?:and|but|so|also|then)\s*,?\s+", re.I)
_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_NUMBERISH = re.compile(r"^[\d\s.,:%/\-年月日时分秒亿万千百十个家条栋台亩元美$￥约近逾多余]+$")


def readings(question: str, history: list[Turn]) -> list[Reading]:
    """The readings of a question given the turns before it, most likely first (one: it stands alone)."""
    asked = Reading(question)
    if not history:
        return [asked]
    last = history[-1]
    for rule in (_ellipsis, _pronoun, _missing_subject):
        found = rule(question, last)
        if any(r.question != question for r in found):
            unique = list({r.question: r for r in found}.values())
            return unique[:MAX_READINGS]
    return [asked]


def _entity_like(answer: str | None) -> bool:
    return bool(answer) and len(answer or "") <= 40 and not _NUMBERISH.match(answer or "")


def _referents(last: Turn, *, person: bool = False, noun: str | None = None) -> list[str]:
    """What a pronoun may point to in the previous turn, most likely first."""
    answer = last.answer if _entity_like(last.answer) else None
    subject = topic.subject(last.question)
    names = topic.names(last.question)
    asked = topic.asked_noun(last.question)
    kind = question_type(last.question).kind
    if person:
        order = [answer, subject] if kind == PERSON else [subject, answer]
    elif noun:
        if asked and (noun == asked or noun.endswith(asked) or asked.endswith(noun)):
            order = [answer, subject]
        else:
            holding = [c for c in [subject, *names] if c and noun in c]
            order = [*holding, subject, *[n for n in names if n.startswith("《")], answer]
    elif kind in {ORG} or (asked and kind not in {PLACE, DATE, NUMBER, PERSON}):
        order = [answer, subject]
    else:
        # 它 after "张江于哪一年成立了国内首家国家级生物医药孵化器？" may be what the subject did something to.
        order = [subject, *names[:1], topic.object_of(last.question), answer]
    return [r for r in dict.fromkeys(order) if r]


def _pronoun(question: str, last: Turn) -> list[Reading]:
    if not is_mostly_cjk(question):
        return _english_pronoun(question, last)
    place = _ZH_PLACE.search(question)
    if place:
        subject = topic.subject(last.question)
        return [_put(question, place, subject)] if subject else []
    person = _ZH_PERSON.search(question)
    if person:
        return [_put(question, person, r) for r in _referents(last, person=True)]
    demonstrative = _ZH_DEMONSTRATIVE.search(question)
    if demonstrative:
        rest = pos_tags(question[demonstrative.end() :])
        noun = rest[0][0] if rest and rest[0][1].startswith(("n", "vn")) else None
        if noun:
            found = [_put_noun(question, demonstrative, noun, r, last) for r in _referents(last, noun=noun)]
            # 这篇论文 where nothing before names a 论文 may well stand alone: the reader may keep it so.
            return (
                found if any(r.referent and r.referent.endswith(noun) for r in found) else [*found, Reading(question)]
            )
    thing = _ZH_THING.search(question)
    if thing:
        return [_put(question, thing, r) for r in _referents(last)]
    return []


def _put(question: str, match: re.Match[str], referent: str) -> Reading:
    text = question[: match.start()] + referent + question[match.end() :]
    return Reading(text, PRONOUN, referent)


def _put_noun(question: str, match: re.Match[str], noun: str, referent: str, last: Turn) -> Reading:
    # 该公司 -> 和黄医药 (the answer to 哪家公司, or a referent already naming the noun); 这项改革 -> MAH制度改革.
    whole = referent.endswith(noun) or referent == last.answer or referent.startswith("《")
    end = match.end() + len(noun) if whole and question.startswith(noun, match.end()) else match.end()
    return Reading(question[: match.start()] + referent + question[end:], PRONOUN, referent)


def _english_pronoun(question: str, last: Turn) -> list[Reading]:
    match = _EN_PRONOUN.search(question)
    if not match:
        return []
    word = match.group(1).lower()
    found = []
    for referent in _referents(last, person=word in _EN_PERSONAL):
        said = referent + "'s" if word in _EN_POSSESSIVE else referent
        text = _EN_LEAD.sub("", question[: match.start()] + said + question[match.end() :])
        found.append(Reading(text[:1].upper() + text[1:], PRONOUN, referent))
    return found


def _ellipsis(question: str, last: Turn) -> list[Reading]:
    if not is_mostly_cjk(question):
        return _english_ellipsis(question, last)
    match = _ZH_ELLIPSIS.match(question.strip())
    if not match:
        return []
    part = match.group("x").strip(" ，,")
    for slot in _ZH_SLOTS:
        if slot.fullmatch(part) and slot.search(last.question):
            return [Reading(slot.sub(part, last.question, count=1), ELLIPSIS, part)]
    subject = topic.subject(last.question)
    if not subject:
        return [Reading(last.question.rstrip("？?") + "，" + part + "呢？", ELLIPSIS, part)]
    start = last.question.find(subject)
    attribute = Reading(subject + part + topic.question_tail(last.question, keep_unit=False), ELLIPSIS, subject)
    same_slot = Reading(last.question[:start] + part + topic.question_tail(last.question), ELLIPSIS, part)
    swapped = Reading(last.question.replace(subject, part, 1), ELLIPSIS, part)
    if "的" in part:  # 兴业银行盐城分行的剩余额度呢: a new name and its attribute
        return [same_slot, attribute]
    return [attribute, swapped]


def _english_ellipsis(question: str, last: Turn) -> list[Reading]:
    match = _EN_ELLIPSIS.match(question.strip())
    if not match or topic._WH.search(match.group("x")) or _EN_PRONOUN.search(match.group("x")):
        return []
    part, prep = match.group("x").strip(), match.group("prep")
    if _YEAR.fullmatch(part) and _YEAR.search(last.question):
        return [Reading(_YEAR.sub(part, last.question, count=1), ELLIPSIS, part)]
    found = []  # (after the same preposition, after any preposition, order), reading
    for order, name in enumerate(topic.english_names(last.question)):
        at = last.question.find(name)
        if at < 0:
            continue
        before = last.question[:at].rstrip().lower().rsplit(" ", 1)[-1]
        # The name of the same kind: after the same preposition, of the same shape (Illinois for Alabama,
        # not for the acronym NICS; the Water category for Zone GC, not for the currency CHF), after any.
        rank = (
            not (prep and before == prep.lower()),
            _shape(name) != _shape(part),
            before not in _EN_PREPOSITIONS,
            order,
        )
        found.append((rank, Reading(last.question[:at] + part + last.question[at + len(name) :], ELLIPSIS, name)))
    return [reading for _, reading in sorted(found, key=lambda pair: pair[0])[:1]]


def _shape(name: str) -> str:
    """A name's look: an acronym (NICS, CHF) or words (Illinois, Zone GC, the Water product category)."""
    return "acronym" if name.isupper() and " " not in name else "words"


def _missing_subject(question: str, last: Turn) -> list[Reading]:
    if not is_mostly_cjk(question) or len(question) > 25 or topic.names(question):
        return []
    tagged = pos_tags(question)
    starts_bare = bool(tagged) and not tagged[0][1].startswith(("n", "eng"))
    if not (starts_bare or len(question) <= 12):
        return []
    subject = topic.subject(last.question) or next(iter(topic.names(last.question)), None)
    if not subject or subject in question:
        return []
    asked = question.lstrip("，,、 ")
    # The previous question up to its question word (郑州高新区累计获批链主企业) carries what the
    # follow-up's 占全市的比例 is a share of; the subject alone reads better where it does not.
    stem = topic.stem(last.question)
    return [
        Reading(subject + asked, SUBJECT, subject),
        *([Reading(stem + asked, SUBJECT, stem)] if stem and stem != subject else []),
        Reading(question),
    ]
