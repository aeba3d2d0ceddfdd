"""Words and tokens: jieba segmentation and tags, BM25 tokens, a question's content words.

Offsets are Unicode code points (Python `str` indices) everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from qa.text.script import is_cjk, is_mostly_cjk, normalize

_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")
_WORDISH = re.compile(r"\w", re.UNICODE)
# Text a question quotes: it was copied from the document and is worth finding as it stands.
_QUOTED = re.compile(r'“([^”]{2,})”|"([^"]{2,})"|「([^」]{2,})」|『([^』]{2,})』|《([^》]{2,})》')
# A code or identifier: a digit with letters or inner punctuation (2023-04-05.0020, FAA-2020-0746, ISO9001).
_CODE = re.compile(r"(?<![\w.-])(?=[\w.-]*\d)(?=[\w.-]*[A-Za-z.\-])[A-Za-z0-9][\w.-]*[A-Za-z0-9](?![\w-])")

# Function words that carry no evidence of relevance; question words are handled by the reader.
STOPWORDS = frozenset(
    """
    的 了 是 在 和 与 及 或 也 都 就 而 并 被 把 对 从 为 以 于 之 其 这 那 这个 那个 这些 那些 一个 有 没有
    吗 呢 吧 啊 么 什么 哪 哪个 哪些 哪里 哪儿 哪家 哪位 哪年 谁 几 多少 如何 怎么 怎样 为什么 为何 何 何时
    是否 请问 呀 个 中 上 下 等 着 过 所 将 已 已经 会 能 可以 a an the of to in on at by for with from and or
    is are was were be been being it its this that these those what which who whom whose when where why how
    does do did as than into about
    """.split()
)


_FUNCTION_CHARS = "的了是在和与及或也都就而并被把对从为以于之其吗呢吧啊么"


@lru_cache(maxsize=1)
def _jieba() -> Any:  # jieba has no types
    import jieba

    jieba.setLogLevel(60)  # its dictionary-loading chatter goes to stderr otherwise
    jieba.initialize()
    return jieba


def words(text: str) -> list[str]:
    """Segment text into words (jieba for Chinese; it splits Latin text on non-word characters)."""
    return [w for w in _jieba().lcut(normalize(text)) if _WORDISH.search(w)]


def index_tokens(text: str) -> list[str]:
    """Tokens for BM25: jieba search-mode words plus CJK character bigrams, stopwords dropped.

    The bigrams make recall robust to jieba segmenting an unknown name differently in the
    question and the passage (吡咯替尼 can come out as 吡咯/替尼 or 吡咯/替尼是).
    """
    norm = normalize(text)
    tokens = [w for w in _jieba().lcut_for_search(norm) if _WORDISH.search(w) and w not in STOPWORDS]
    for run in _CJK_RUN.finditer(norm):
        chars = run.group()
        tokens.extend(chars[i : i + 2] for i in range(len(chars) - 1))
    return tokens


def literal_terms(question: str) -> list[str]:
    """Parts of a question to find as they stand: quoted text, codes and identifiers (a digit among
    letters or inner punctuation, five characters or more), and in a question written mostly in
    another script, its Chinese runs (an English question naming the line 明月松间照 or 第七章 has
    copied them from the document; the dense side, which reads across languages, weighs them little)."""
    norm = normalize(question)
    found = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(norm)]
    found += [m.group() for m in _CODE.finditer(norm) if len(m.group()) >= 5]
    if not is_mostly_cjk(norm):
        found += [m.group() for m in _CJK_RUN.finditer(norm)]
    return list(dict.fromkeys(t.strip() for t in found if t.strip()))


def query_terms(question: str) -> list[str]:
    """Content words of a question, longest first, for highlighting and coverage scoring."""
    seen: dict[str, None] = {}
    for w in words(question):
        if is_cjk(w) and len(w) > 2:
            w = w.strip(_FUNCTION_CHARS)  # jieba can glue a particle onto an unknown name: 替尼是
        if w in STOPWORDS or (is_cjk(w) and len(w) < 2 and not w.isdigit()):
            continue
        if not is_cjk(w) and len(w) < 2 and not w.isdigit():
            continue
        seen.setdefault(w, None)
    return sorted(seen, key=len, reverse=True)


def find_all(haystack: str, needle: str) -> Iterator[int]:
    """Yield every start index of needle in haystack (both already normalised)."""
    if not needle:
        return
    i = haystack.find(needle)
    while i != -1:
        yield i
        i = haystack.find(needle, i + 1)


@lru_cache(maxsize=4096)
def pos_tags(text: str) -> tuple[tuple[str, str], ...]:
    """jieba's words of a text with their part-of-speech tags, (word, flag), in order."""
    _jieba()
    import jieba.posseg

    return tuple((t.word, t.flag) for t in jieba.posseg.cut(text))


def whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) widened to whole words where it cuts into a word of a script written with
    spaces (Latin, Greek, Cyrillic: a subword reader may end 12,000 tonnes at "tonn"). Chinese,
    Japanese and full-width text have no word edges to find and stay as they are."""
    while 0 < start < len(text) and _spaced_letter(text[start - 1]) and _spaced_letter(text[start]):
        start -= 1
    while 0 < end < len(text) and _spaced_letter(text[end - 1]) and _spaced_letter(text[end]):
        end += 1
    return start, end


def _spaced_letter(char: str) -> bool:
    return char.isalnum() and (ord(char) < 0x250 or 0x370 <= ord(char) < 0x530)
