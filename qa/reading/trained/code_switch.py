"""Code-switched training questions: Chinese question words, and some content words, in English.

Users ask about Chinese pages in English, or in a mix ("范廷颂 was appointed bishop when?"); the
training sets hold Chinese questions only (XQuAD's 826 English ones aside). Replacing a question's
words by their CC-CEDICT glosses gives the reader English question words and terms over Chinese text
by the thousand. Only the question changes: the context, answers and offsets stay as they were.

A few common shapes become whole English questions ("X是什么？" -> "What is X?"), with every word
of X that has a gloss glossed; the rest keep the Chinese word order with glosses in place.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from qa.reading.trained.glossary import Glossary
from qa.text.script import is_cjk

# Question words and the CC-CEDICT sense each takes here (tests check each is one of the word's
# senses): the dictionary's first sense is often another one (多少: "number", 几: "small table").
QUESTION_WORDS = {
    "为什么": "why",
    "为何": "why",
    "什么时候": "when",
    "何时": "when",
    "哪里": "where",
    "哪儿": "where",
    "何处": "where",
    "哪些": "which ones",
    "哪个": "which",
    "哪": "which",
    "什么": "what",
    "谁": "who",
    "多少": "how many",
    "几": "how many",
    "多久": "how long",
    "怎么": "how",
    "怎样": "how",
    "如何": "how",
    "多大": "how big",
}
# Words too slight to gloss on their own (的 -> "of" would scramble word order further).
_KEEP = frozenset(
    "的 了 是 在 和 与 及 或 也 都 就 而 并 被 把 对 从 为 以 于 之 其 有 中 上 下 等 着 过 所 将 吗 呢".split()
)
_NAME_JOINERS = frozenset("·•‧・-")
_QUESTION_MARK = "[？?]?"
# Whole-question shapes: (name, pattern over the Chinese question, English template).
TEMPLATES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("what is", re.compile(rf"^(?P<x>[^，,？?]{{2,}}?)是什么{_QUESTION_MARK}$"), "What is {x}?"),
    ("what is", re.compile(rf"^什么是(?P<x>[^，,？?]{{2,}}?){_QUESTION_MARK}$"), "What is {x}?"),
    ("where from", re.compile(rf"^(?P<x>[^，,？?]{{2,}}?)是哪里人{_QUESTION_MARK}$"), "Where is {x} from?"),
    ("who is", re.compile(rf"^(?P<x>[^，,？?]{{2,}}?)是谁{_QUESTION_MARK}$"), "Who is {x}?"),
    ("who", re.compile(rf"^谁(?P<y>[^，,？?]{{2,}}?){_QUESTION_MARK}$"), "Who {y}?"),
    (
        "when",
        re.compile(
            rf"^(?P<x>[^，,？?]{{2,}}?)(?:是)?(?:在)?(?:什么时候|何时)(?P<y>[^，,？?]+?)(?:的)?{_QUESTION_MARK}$"
        ),
        "When did {x} {y}?",
    ),
    (
        "how many",
        re.compile(rf"^(?P<x>[^，,？?]{{2,}}?)有多少(?P<y>[^，,？?]+?){_QUESTION_MARK}$"),
        "How many {y} does {x} have?",
    ),
)


@dataclass(frozen=True)
class Switched:
    question: str
    template: str | None  # the whole-question shape used, or None for words glossed in place
    glossed: tuple[str, ...]  # the Chinese words replaced, in order


class CodeSwitcher:
    """Glosses a question's words into English, deterministically per (seed, question id).

    Args:
        glossary: CC-CEDICT senses.
        segment: splits Chinese text into words (jieba's `lcut` in training-data building).
        content_share: chance that each content word with a gloss is glossed (question words always are).
        template_share: chance that a question of a known shape becomes a whole English question.
    """

    def __init__(
        self,
        glossary: Glossary,
        segment: Callable[[str], list[str]],
        seed: int = 0,
        content_share: float = 0.5,
        template_share: float = 0.5,
    ) -> None:
        self.glossary = glossary
        self.segment = segment
        self.seed = seed
        self.content_share = content_share
        self.template_share = template_share

    def switch(self, question: str, key: str) -> Switched | None:
        """The question with glosses in place (a Simplified-Chinese question in), or None if no word has one."""
        rng = random.Random(f"{self.seed}/{key}")
        if rng.random() < self.template_share:
            for name, pattern, template in TEMPLATES:
                match = pattern.match(question)
                if match is not None:
                    parts = {slot: self._gloss_words(text, rng, share=1.0) for slot, text in match.groupdict().items()}
                    english = template.format(**{slot: text for slot, (text, _) in parts.items()})
                    return Switched(_tidy(english), name, tuple(w for _, words in parts.values() for w in words))
        text, words = self._gloss_words(question, rng, share=self.content_share)
        return Switched(_tidy(text), None, tuple(words)) if words else None

    def _gloss_words(self, text: str, rng: random.Random, share: float) -> tuple[str, list[str]]:
        out: list[str] = []
        glossed: list[str] = []
        words = _merge_question_words(self.segment(text))
        for i, word in enumerate(words):
            english = QUESTION_WORDS.get(word)
            # A piece of a transliterated name (阿波斯托 -> 阿/波斯/托) glossed reads as nonsense ("Persia").
            # A lone character beside it is the same warning sign (阿/波斯/托).
            neighbours = words[max(0, i - 1) : i] + words[i + 1 : i + 2]
            in_name = any(n in _NAME_JOINERS or (len(n) == 1 and is_cjk(n) and n not in _KEEP) for n in neighbours)
            if english is None and _content(word) and not in_name and rng.random() < share:
                english = self.glossary.gloss(word)
            if english is None:
                out.append(word)
            else:
                out.append(f" {english} ")
                glossed.append(word)
        return "".join(out), glossed


def _merge_question_words(words: list[str]) -> list[str]:
    """Rejoin question words the segmenter split (什么/时候 -> 什么时候), longest first."""
    merged: list[str] = []
    i = 0
    while i < len(words):
        for n in (3, 2):
            if "".join(words[i : i + n]) in QUESTION_WORDS and i + n <= len(words):
                merged.append("".join(words[i : i + n]))
                i += n
                break
        else:
            merged.append(words[i])
            i += 1
    return merged


def _content(word: str) -> bool:
    return len(word) >= 2 and word not in _KEEP and all(is_cjk(ch) for ch in word)


def _tidy(text: str) -> str:
    """One space between words, none inside Chinese runs or before punctuation."""
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r" ?([？?，,。.！!：:；;、」》）)])", r"\1", text)
    text = re.sub(r"([「《（(]) ", r"\1", text)
    text = text.replace("？", "?") if re.search(r"[A-Za-z]", text) and text.endswith("？") else text
    return text[:1].upper() + text[1:] if text[:1].islower() else text
