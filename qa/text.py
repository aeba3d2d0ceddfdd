"""Sentences and tokens: the text primitives shared by chunking, BM25 and highlighting.

Offsets are Unicode code points (Python `str` indices) everywhere.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Iterator

from qa.script import to_simplified

# A sentence ends at Chinese 。！？； (and full-width ！？), or Western .!? followed by space or the end.
# Closing quotes and brackets that follow the mark stay with the sentence they close.
_SENTENCE_END = re.compile(
    r"""(?:[。！？；!?]+|…{1,2}|(?<![A-Z])(?<!\b\d)\.(?=[”’"'」』）)\]]*(?:\s|$)))[”’"'」』）)\]]*"""
)
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,}")
_WORDISH = re.compile(r"\w", re.UNICODE)

# Function words that carry no evidence of relevance; question words are handled by the reader.
STOPWORDS = frozenset(
    """的 了 是 在 和 与 及 或 也 都 就 而 并 被 把 对 从 为 以 于 之 其 这 那 这个 那个 这些 那些 一个 有 没有
    吗 呢 吧 啊 么 什么 哪 哪个 哪些 哪里 哪儿 哪家 哪位 哪年 谁 几 多少 如何 怎么 怎样 为什么 为何 何 何时 是否
    请问 呀 个 中 上 下 等 着 过 所 将 已 已经 会 能 可以
    a an the of to in on at by for with from and or is are was were be been being it its this that these
    those what which who whom whose when where why how does do did as than into about""".split()
)


_FUNCTION_CHARS = "的了是在和与及或也都就而并被把对从为以于之其吗呢吧啊么"


def is_cjk(text: str) -> bool:
    """True when the text contains any CJK ideograph."""
    return bool(_CJK.search(text))


def is_mostly_cjk(text: str) -> bool:
    """True when at least half of the letters of the text are CJK ideographs."""
    letters = sum(ch.isalpha() for ch in text)
    return bool(letters) and len(_CJK.findall(text)) * 2 >= letters


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Split text into sentences; return (start, end) code-point spans that cover it.

    Leading whitespace of each sentence is excluded, so `text[start:end]` starts with content.
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        end = match.end()
        spans.append((start, end))
        start = end
    if start < len(text):
        spans.append((start, len(text)))
    trimmed = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            trimmed.append((s, e))
    return trimmed


def normalize(text: str) -> str:
    """Fold width, case and script so that ＡＢＣ１２３ matches abc123 and 張江 matches 张江.

    The length never changes, so an offset into the folded text is an offset into the original.
    """
    if text.isascii():
        return to_simplified(text.lower())
    # Character by character: folding the whole string can lengthen one character (ﬁ → fi) and
    # shorten another (e + U+0301 → é), keeping the total length while shifting every offset.
    return to_simplified("".join(_fold_char(c) for c in text))


@lru_cache(maxsize=65536)
def _fold_char(char: str) -> str:
    folded = unicodedata.normalize("NFKC", char).lower()
    if len(folded) == 1:
        return folded
    lower = char.lower()
    return lower if len(lower) == 1 else char  # 'İ'.lower() is two code points


@lru_cache(maxsize=1)
def _jieba():  # noqa: ANN202 - jieba has no types
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
