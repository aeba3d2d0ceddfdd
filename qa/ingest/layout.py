"""Recover the reading structure of a document: articles, sections, captions, body paragraphs.

Plain-text newspaper pages arrive flattened: headlines, bylines and photo captions sit between
paragraphs, and a page break can cut a sentence (even a word) in two. This module classifies
blocks and rejoins what the page layout broke, so each unit is one readable paragraph that knows
its article title. Markdown and HTML headings are trusted as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa.ingest import boxes
from qa.ingest.boxes import CharBoxes
from qa.ingest.documents import Block, Document
from qa.text import is_cjk

# Readers that mark headings from the file's own structure (styles, fonts, slide titles): their
# unmarked blocks are never guessed to be headlines, as flattened plain text's must be.
MARKED_HEADINGS = frozenset({"html", "docx", "pptx", "xlsx", "csv", "pdf", "image"})
# Chinese headlines run to about 30 characters; longer unpunctuated lines are broken paragraphs.
HEADLINE_MAX_CJK = 30
HEADLINE_MAX_WORDS = 14
KICKER_MAX = 4  # a column label such as 园镜头 above a headline

_TERMINAL = "。！？；!?.…"
_CLOSERS = "”’\"'」』）)]】》"
_CLAUSE_MARKS = re.compile(r"[，。；！？,;!?]|\.\s")
_BYLINE = re.compile(r"(本报记者|记者|通讯员|特约撰稿|实习生|撰文|责任编辑|^By\s|^Photo\s|^By:)")
_CAPTION_START = re.compile(r"^(图为|图：|图:|\(图|（图|上图|下图|Photo:|Pictured)")
_CAPTION_END = re.compile(r"(摄|供图|图片来源[:：].*)$")
# A caption that the page glued onto the end of a paragraph: 。图为…摄
_EMBEDDED_CAPTION = re.compile(r"(?<=[。！？])图为")
_DATELINE = re.compile(
    r"^[\u4e00-\u9fff]{2,8}(讯|电)[(（]|^[\u4e00-\u9fff]{2,6}[\d月日]{2,6}电|^[A-Z][A-Za-z .]+\s[(—–-]"
)


@dataclass
class Unit:
    """A readable piece of one article; `start`/`end` cover its text in the source."""

    text: str
    start: int
    end: int
    title: str
    section: str
    kind: str  # body | caption
    page: int | None = None  # the page its blocks lie on (units never join across a page: `qa.ingest.documents`)
    boxes: CharBoxes | None = None  # one per code point of `text` where the source has geometry (`qa.ingest.boxes`)


def document_units(doc: Document) -> list[Unit]:
    """Classify the blocks of a document and rejoin broken paragraphs."""
    if doc.kind == "dataset":  # labelled contexts are taken as they are: no page repair
        return [Unit(b.text, b.start, b.end, doc.title, "", "body", b.page, b.boxes) for b in doc.blocks]
    blocks = _split_embedded_captions(doc.blocks)
    marked = doc.kind in MARKED_HEADINGS
    kinds = [_classify(b, marked) for b in blocks]
    units: list[Unit] = []
    title, section = doc.title, ""
    i = 0
    while i < len(blocks):
        if kinds[i] == "headline":
            j = i + 1
            # Plain-text headline lines group (a kicker, a title, a subtitle); a source heading stands alone.
            while not blocks[i].heading and j < len(blocks) and kinds[j] == "headline" and not blocks[j].heading:
                j += 1
            group = blocks[i:j]
            if _is_article_title(group, blocks, kinds, i, j, first=not units and i == _first_content(kinds)):
                title, section = _title_text(group), ""
            else:
                section = _title_text(group)
            i = j
            continue
        if kinds[i] in ("body", "caption"):
            block = blocks[i]
            units.append(Unit(block.text, block.start, block.end, title, section, kinds[i], block.page, block.boxes))
        i += 1
    if not units:
        # A document of one short line (a JSONL answer, a note) is content, not a headline.
        units = [
            Unit(b.text, b.start, b.end, doc.title, "", "body", b.page, b.boxes)
            for b, k in zip(blocks, kinds)
            if k == "headline" and not b.heading
        ]
    return _rejoin(units)


def _first_content(kinds: list[str]) -> int:
    return next((k for k, kind in enumerate(kinds) if kind != "byline"), 0)


def _split_embedded_captions(blocks: list[Block]) -> list[Block]:
    out: list[Block] = []
    for block in blocks:
        match = _EMBEDDED_CAPTION.search(block.text)
        if not (match and block.heading == 0 and _CAPTION_END.search(block.text)):
            out.append(block)
            continue
        cut = match.start()
        # Offsets inside a block are exact only when it is one unwrapped line of the source.
        exact = block.end - block.start == len(block.text)
        mid_src = block.start + cut if exact else block.start
        drawn = block.boxes
        head_end = block.start + cut if exact else block.end
        out.append(Block(block.text[:cut], block.start, head_end, 0, block.page, drawn[:cut] if drawn else None))
        out.append(Block(block.text[cut:], mid_src, block.end, 0, block.page, drawn[cut:] if drawn else None))
    return out


def _classify(block: Block, marked: bool = False) -> str:
    text = block.text
    if block.heading:
        return "headline"
    if _CAPTION_START.search(text) or (len(text) <= 120 and _CAPTION_END.search(text) and "图" in text):
        return "caption"
    if marked:
        return "body"  # its reader marked every heading: a short line is a list item, a term, a cell
    if len(text) <= 40 and _BYLINE.search(text) and not text.rstrip(_CLOSERS).endswith(tuple("。！？.!?")):
        return "byline"
    if _looks_like_headline(text):
        return "headline"
    return "body"


def _looks_like_headline(text: str) -> bool:
    stripped = text.rstrip(_CLOSERS)
    if not stripped or stripped[-1] in _TERMINAL + "，,、" or _CLAUSE_MARKS.search(stripped):
        return False
    if is_cjk(text):
        return len(text) <= HEADLINE_MAX_CJK
    return len(text.split()) <= HEADLINE_MAX_WORDS


def _is_article_title(group: list[Block], blocks: list[Block], kinds: list[str], i: int, j: int, first: bool) -> bool:
    if group[0].heading:
        return group[0].heading == 1
    if first or len(group) >= 2:
        return True
    after = next((k for k in range(j, len(kinds)) if kinds[k] != "caption"), None)
    if after is None:
        return False
    return kinds[after] == "byline" or bool(_DATELINE.search(blocks[after].text))


def _title_text(group: list[Block]) -> str:
    lines = [b.text for b in group]
    if len(lines) >= 2 and len(lines[0]) <= KICKER_MAX and is_cjk(lines[0]):
        lines = lines[1:]  # a column label, not part of the headline
    title = lines[0]
    for line in lines[1:]:
        title += line if title.endswith(("：", ":", "——")) else " " + line
    return title


def ends_sentence(text: str) -> bool:
    """True when text ends at a sentence boundary (closing quotes and brackets ignored)."""
    stripped = text.rstrip(_CLOSERS + " ")
    return bool(stripped) and (stripped[-1] in _TERMINAL or stripped[-1] in "：:")


def _rejoin(units: list[Unit]) -> list[Unit]:
    """Join a body paragraph that stops mid-sentence with the next body paragraph of its section.

    Captions that the page placed in between are stepped over, never glued in.
    """
    out: list[Unit] = []
    pending: Unit | None = None  # a body paragraph still waiting for the rest of its sentence
    for unit in units:
        if (
            unit.kind == "body"
            and pending is not None
            and (unit.title, unit.section, unit.page) == (pending.title, pending.section, pending.page)
        ):
            sep = "" if is_cjk(pending.text[-1:] + unit.text[:1]) else " "
            pending.boxes = boxes.join(
                [(len(pending.text), pending.boxes), (len(sep), None), (len(unit.text), unit.boxes)]
            )
            pending.text += sep + unit.text
            pending.end = unit.end
        else:
            out.append(unit)
            if unit.kind == "body":
                pending = unit
        if pending is not None and ends_sentence(pending.text):
            pending = None
    return out
