"""Plain text and Markdown: paragraphs at blank lines, wrapped lines joined, Markdown `#` lines as headings."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath

from qa.ingest.documents import Block, Document
from qa.ingest.readers.reader import Problems, Skip

_BLANK_LINE = re.compile(r"\n[ \t\u3000\xa0]*\n")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


class TextReader:
    """`.txt` (name "text") or `.md` (name "markdown")."""

    binary = False

    def __init__(self, name: str, suffixes: Iterable[str], markdown: bool) -> None:
        self.name = name
        self.suffixes = frozenset(suffixes)
        self.markdown = markdown

    def sniff(self, data: bytes) -> bool:
        return False

    def read(self, rel: str, data: bytes, problems: Problems) -> list[Document]:
        source = decode(data)
        return [Document(rel, rel, stem_title(rel), text_blocks(source, markdown=self.markdown), kind=self.name)]


def decode(data: bytes) -> str:
    """The text of a UTF-8 file (a byte order mark dropped), line ends made `\\n`; Skip when it is not UTF-8."""
    try:
        source = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Skip(f"not valid UTF-8 (byte {exc.start}); convert it to UTF-8") from None
    return source.replace("\r\n", "\n").replace("\r", "\n")


def stem_title(rel: str) -> str:
    """A title from a file name: `annual_report-2023.pdf` -> `annual report 2023`."""
    return PurePosixPath(rel).stem.replace("_", " ").replace("-", " ")


def text_blocks(source: str, markdown: bool = False) -> list[Block]:
    """Split plain text at blank lines; Markdown `#` lines become heading blocks."""
    blocks: list[Block] = []
    start = 0
    for match in [*_BLANK_LINE.finditer(source), None]:
        end = match.start() if match else len(source)
        blocks.extend(_chunk_blocks(source, start, end, markdown))
        if match:
            start = match.end()
    return blocks


def _chunk_blocks(source: str, start: int, end: int, markdown: bool) -> Iterable[Block]:
    lines: list[tuple[int, int]] = []
    pos = start
    for line in source[start:end].split("\n"):
        s, e = pos, pos + len(line)
        pos = e + 1
        while s < e and source[s] in " \t\u3000\xa0":
            s += 1
        while e > s and source[e - 1] in " \t\u3000\xa0":
            e -= 1
        if s == e:
            continue
        heading = _MD_HEADING.match(source[s:e]) if markdown else None
        if heading:
            yield from _flush(source, lines)
            lines = []
            level, text = len(heading.group(1)), heading.group(2)
            t0 = s + heading.start(2)
            yield Block(text, t0, t0 + len(text), heading=level)
        else:
            lines.append((s, e))
    yield from _flush(source, lines)


def _flush(source: str, lines: list[tuple[int, int]]) -> Iterable[Block]:
    if lines:
        yield Block(join_lines([source[s:e] for s, e in lines]), lines[0][0], lines[-1][1])


def join_lines(parts: list[str]) -> str:
    """Join wrapped lines: no space between CJK characters, one space between Latin words."""
    out = parts[0] if parts else ""
    for part in parts[1:]:
        if out.endswith("-") and out[-2:-1].isalpha() and part[:1].islower():
            out = out[:-1] + part  # a word hyphenated at the line end
        elif _needs_space(out[-1:], part[:1]):
            out += " " + part
        else:
            out += part
    return out


def _needs_space(left: str, right: str) -> bool:
    from qa.text import is_cjk

    if not left or not right:
        return False
    return not (is_cjk(left) or is_cjk(right) or left in "（“‘《「『" or right in "，。、；：！？）”’》」』")
