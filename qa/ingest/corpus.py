"""Read a corpus folder into documents made of blocks with source offsets.

Formats: `.txt` and `.md` (blocks separated by blank lines), `.html`/`.htm` (visible text of
block elements, through the standard library's HTML parser), `.jsonl` (one
`{"id", "title", "text"}` object a line). A file that cannot be read is reported and skipped, and
so is one over the size limit for one file (RAGQA_MAX_FILE_MB, default 20 MB: about seven million
Chinese characters, a quarter of an hour of embedding on two cores) and every link
(`qa.ingest.folder`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from qa.ingest.documents import Block, Document
from qa.ingest.folder import Skip, list_files, read_file
from qa.ingest.html_text import html_blocks
from qa.text.script import is_unicode

log = logging.getLogger(__name__)

TEXT_SUFFIXES = {".txt": "text", ".md": "markdown", ".markdown": "markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSONL_SUFFIXES = {".jsonl"}
_BLANK_LINE = re.compile(r"\n[ \t\u3000\xa0]*\n")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


@dataclass
class CorpusReport:
    documents: list[Document] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "path: why", for the user
    checksum: str = ""


def read_corpus(root: str | Path, max_file_bytes: int | None = None) -> CorpusReport:
    """Read every supported file under root (recursively, in a stable order; `qa.ingest.folder` says
    which files are found and how links are treated).

    Args:
        max_file_bytes: files larger than this are skipped with the reason; None: RAGQA_MAX_FILE_MB
            (`qa.config.Settings.max_file_mb`).
    """
    root = Path(root)
    report = CorpusReport()
    if not root.is_dir():
        from qa.errors import CorpusError

        raise CorpusError(f"corpus folder not found: {root}")
    if max_file_bytes is None:
        from qa.config import Settings

        max_file_bytes = Settings.from_env().max_file_bytes
    listing = list_files(root)
    for rel, why in listing.skipped:
        _skip(report, rel, why)
    digest = hashlib.sha256()
    seen_ids: set[str] = set()
    for rel in listing.files:
        suffix = PurePosixPath(rel).suffix.lower()
        if suffix not in TEXT_SUFFIXES and suffix not in HTML_SUFFIXES and suffix not in JSONL_SUFFIXES:
            _skip(report, rel, "unsupported file type (expected .txt, .md, .html or .jsonl)")
            continue
        try:
            raw = read_file(root, rel, max_file_bytes)
            source = raw.decode("utf-8-sig")
        except Skip as exc:
            _skip(report, rel, str(exc))
            continue
        except UnicodeDecodeError as exc:
            _skip(report, rel, f"not valid UTF-8 (byte {exc.start}); convert it to UTF-8")
            continue
        digest.update(rel.encode() + b"\0" + raw + b"\0")
        for doc in _parse(rel, suffix, source, report):
            if doc.id in seen_ids:
                doc.id = f"{rel}:{doc.id}"  # two JSONL files may both number their records from 1
            seen_ids.add(doc.id)
            report.documents.append(doc)
    report.checksum = digest.hexdigest()
    return report


def _skip(report: CorpusReport, rel: str, why: str) -> None:
    log.warning("skipping %s: %s", rel, why)
    report.skipped.append(f"{rel}: {why}")


def _parse(rel: str, suffix: str, source: str, report: CorpusReport) -> Iterable[Document]:
    source = source.replace("\r\n", "\n").replace("\r", "\n")
    if suffix in HTML_SUFFIXES:
        title, blocks = html_blocks(source)
        yield Document(rel, rel, title or _stem_title(rel), blocks, kind="html")
    elif suffix in JSONL_SUFFIXES:
        yield from _jsonl_documents(rel, source, report)
    else:
        kind = TEXT_SUFFIXES[suffix]
        blocks = text_blocks(source, markdown=kind == "markdown")
        yield Document(rel, rel, _stem_title(rel), blocks, kind=kind)


def _stem_title(rel: str) -> str:
    return Path(rel).stem.replace("_", " ").replace("-", " ")


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


def _jsonl_documents(rel: str, source: str, report: CorpusReport) -> Iterable[Document]:
    for number, line in enumerate(source.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            text = record["text"]
            if not isinstance(record, dict) or not isinstance(text, str):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            _skip(report, f"{rel}:{number}", 'not a JSON object with a "text" string')
            continue
        doc_id = str(record.get("id") or f"{rel}:{number}")
        title = str(record.get("title") or doc_id)
        if not all(is_unicode(value) for value in (doc_id, title, text)):
            # JSON can escape half of a surrogate pair ("\\ud800"), which no UTF-8 file can hold: refused
            # here, at the door, so the index never has to write text it could not read back.
            _skip(report, f"{rel}:{number}", 'holds a lone surrogate escape (like "\\ud800"), which is not text')
            continue
        text = text.replace("\r\n", "\n").replace("\r", "\n")  # offsets are into the record text as read
        yield Document(doc_id, rel, title, text_blocks(text), kind="jsonl", line=number)
