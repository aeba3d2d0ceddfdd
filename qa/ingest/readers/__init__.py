"""Format readers, one module a kind behind one contract (`reader.Reader`), chosen by content and name.

A binary format is recognised by its bytes, whatever the file is called (a PDF saved as `.bin` is
read as a PDF, a `.pdf` that is really a Word file is read as one); a file named for a binary
format whose bytes are not of it is skipped with what it looks like. Text formats go by their
ending. Readers that need optional packages import them when they read, so choosing is cheap.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from qa.ingest.readers.csv_table import CsvReader
from qa.ingest.readers.docx import DocxReader
from qa.ingest.readers.html import HtmlReader
from qa.ingest.readers.image import ImageReader
from qa.ingest.readers.jsonl import JsonlReader
from qa.ingest.readers.legacy_office import LegacyOfficeReader
from qa.ingest.readers.pdf import PdfReader
from qa.ingest.readers.pptx import PptxReader
from qa.ingest.readers.reader import Problems, Reader, Skip
from qa.ingest.readers.text import TextReader
from qa.ingest.readers.xlsx import XlsxReader

__all__ = ["READERS", "Problems", "Reader", "Skip", "choose", "supported"]

READERS: tuple[Reader, ...] = (
    PdfReader(),
    DocxReader(),
    PptxReader(),
    XlsxReader(),
    LegacyOfficeReader(),
    ImageReader(),
    TextReader("text", {".txt"}, markdown=False),
    TextReader("markdown", {".md", ".markdown"}, markdown=True),
    HtmlReader(),
    JsonlReader(),
    CsvReader(),
)


def supported() -> str:
    """The endings read, for messages: ".htm, .html, .jsonl, ..."."""
    return ", ".join(sorted(s for reader in READERS for s in reader.suffixes))


def choose(rel: str, data: bytes) -> Reader:
    """The reader for a file's bytes and name; raises Skip saying why none fits."""
    if not data:
        raise Skip("the file is empty (0 bytes)")
    for reader in READERS:
        if reader.binary and reader.sniff(data):
            return reader  # the content names the format, whatever the file is called
    suffix = PurePosixPath(rel).suffix.lower()
    named = next((reader for reader in READERS if suffix in reader.suffixes), None)
    if named is None:
        raise Skip(f"unsupported file type (read: {supported()})")
    if named.binary:
        raise Skip(f"named {suffix} but its content is not a {named.name} file ({looks_like(data)})")
    return named


def looks_like(data: bytes) -> str:
    """What a file's first bytes suggest, for a message about a misnamed file."""
    head = data[:8]
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return f"it starts like {what}"
    try:
        data[:4096].decode("utf-8")
    except UnicodeDecodeError:
        return "it is binary data of an unknown kind"
    return "it is plain text"


_MAGIC = (
    (b"%PDF-", "a PDF file"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office file"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"{\\rtf", "an RTF document"),
)
