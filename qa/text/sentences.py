"""Sentences as code-point spans that cover a text (Chinese and Western sentence ends)."""

from __future__ import annotations

import re

# A sentence ends at Chinese 。！？； (and full-width ！？), or Western .!? followed by space or the end.
# Closing quotes and brackets that follow the mark stay with the sentence they close.
_SENTENCE_END = re.compile(
    r"""(?:[。！？；!?]+|…{1,2}|(?<![A-Z])(?<!\b\d)\.(?=[”’"'」』）)\]]*(?:\s|$)))[”’"'」』）)\]]*"""
)


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
