"""Visible text of an HTML page as blocks, with offsets into the raw HTML source.

Uses the standard library's HTML parser (a real tokenizer, tolerant of broken markup) rather
than regular expressions; its `getpos()` gives each text run's position in the source.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from qa.ingest.documents import Block

_BLOCK_TAGS = {
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "caption",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "td",
    "th",
    "tr",
    "ul",
}
_HIDDEN_TAGS = {"script", "style", "noscript", "template", "head", "svg", "iframe", "object"}
_VOID_TAGS = {"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source", "wbr"}
_SPACE = re.compile(r"\s+")
_LEADING = re.compile(r"(?:\s|&(?:nbsp|#160|#x[aA]0|#32|#x20);?)*")


class _Extractor(HTMLParser):
    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self._source = source
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self.blocks: list[Block] = []
        self.title = ""
        self._hidden = 0
        self._in_title = False
        self._heading = 0
        self._parts: list[str] = []
        self._start: int | None = None
        self._end = 0
        self._pending_end = False

    def _offset(self) -> int:
        line, col = self.getpos()
        return self._line_starts[line - 1] + col

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._mark_end()
        if tag == "title":
            self._in_title = True
        if tag in _HIDDEN_TAGS and tag not in _VOID_TAGS:
            self._hidden += 1
        if tag in _BLOCK_TAGS:
            self._flush()
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            self._heading = int(tag[1])

    def handle_endtag(self, tag: str) -> None:
        self._mark_end()
        if tag == "title":
            self._in_title = False
        if tag in _HIDDEN_TAGS and self._hidden:
            self._hidden -= 1
        if tag in _BLOCK_TAGS:
            self._flush()
        if tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            self._heading = 0

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
            return
        if self._hidden:
            return
        if data.strip() and self._start is None:
            # Skip leading whitespace in the raw source, where it may be written as an entity.
            leading = _LEADING.match(self._source, self._offset())
            assert leading is not None  # the pattern matches the empty string too
            self._start = leading.end()
        self._parts.append(data)
        self._pending_end = True

    def _mark_end(self) -> None:
        # The text run that just ended stops where this tag begins.
        if self._pending_end:
            self._end = self._offset()
            self._pending_end = False

    def _flush(self) -> None:
        text = _SPACE.sub(" ", "".join(self._parts)).strip()
        if text and self._start is not None:
            self.blocks.append(Block(text, self._start, max(self._end, self._start), heading=self._heading))
        self._parts, self._start = [], None

    def close(self) -> None:
        super().close()
        self._mark_end()
        self._flush()


def html_blocks(source: str) -> tuple[str, list[Block]]:
    """Return the page title and its visible text blocks."""
    parser = _Extractor(source)
    parser.feed(source)
    parser.close()
    title = _SPACE.sub(" ", parser.title).strip()
    if not title:
        title = next((b.text for b in parser.blocks if b.heading == 1), "")
    return title, parser.blocks
