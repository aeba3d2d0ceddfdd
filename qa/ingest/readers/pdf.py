"""PDF with a text layer, through pdfplumber: paragraphs in column order, headings, tables by row, each character boxed.

Pages are read one at a time and released (a 300-page file is never parsed whole at once); what
is kept of a page is its lines and table rows. A table going on over a page break takes its
column headers and caption from the page before (`pdf_table_heads`). Running headers and footers
are found across pages, heading levels across the document, then every paragraph becomes a block
on its page.
The document's source text is its blocks joined by blank lines, so `block.text` is the slice
`source[start:end]`. A scanned page (no text layer, an image) is rendered with pypdfium2 and read by
OCR (`qa.ingest.readers.ocr`, the optional `ocr` extra); without it, such pages are reported and
skipped, and a wholly scanned file is skipped saying what to install. Each page, read for its text
and by OCR, has a time limit (`qa.ingest.readers.page_clock`): a page past it is reported and skipped.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from dataclasses import dataclass, replace
from typing import Any

from qa.ingest.documents import Block, Box, Document
from qa.ingest.readers.page_clock import SETTING, PageOver, current
from qa.ingest.readers.pdf_furniture import PageLines, drop_furniture
from qa.ingest.readers.pdf_glyphs import Run
from qa.ingest.readers.pdf_headings import heading_levels
from qa.ingest.readers.pdf_lines import Line, build_lines
from qa.ingest.readers.pdf_order import Paragraph, page_paragraphs
from qa.ingest.readers.pdf_page import PageContent, read_page
from qa.ingest.readers.pdf_table_heads import TableHeads
from qa.ingest.readers.pdf_table_text import table_rows
from qa.ingest.readers.pdf_tables import Table, split_tables
from qa.ingest.readers.reader import Problems, Skip
from qa.ingest.readers.text import stem_title

_INSTALL = "install it with `pip install 'ragqa[ocr]'` (make setup does)"
_SCAN = f"no text layer (a scanned page); OCR is not installed, so it is skipped; {_INSTALL}"
_PICTURE = f"no text besides running headers: its content is an image, and OCR is not installed; {_INSTALL}"
# Titles that tools write instead of the author's: "Microsoft Word - report.docx", "untitled", a file name.
_TOOL_TITLE = re.compile(
    r"^(microsoft \w+ - |untitled\b|document\d*$)|\.(docx?|pdf|tex|dvi|rtf|pptx?|xlsx?|txt|indd)$", re.I
)


@dataclass
class _Page:
    number: int
    height: float
    lines: list[Line]
    tables: list[Table]
    images: bool


class PdfReader:
    name = "pdf"
    suffixes = frozenset({".pdf"})
    binary = True

    def sniff(self, data: bytes) -> bool:
        return data.startswith(b"%PDF-")

    def read(self, rel: str, data: bytes, problems: Problems) -> list[Document]:
        pages, meta_title, scanned = _read_pages(rel, data, problems)
        kept = drop_furniture([PageLines(page.height, page.lines) for page in pages])
        paragraphs: list[tuple[int, Paragraph]] = []
        pictures: list[int] = []
        heads: TableHeads | None = None  # of the table that ended the page before: one may go on from it
        previous = 0
        for page, lines in zip(pages, kept):
            if not lines and not page.tables and page.images:
                pictures.append(page.number)
            if page.number != previous + 1:
                heads = None  # a page between them was skipped (a scan, unreadable): nothing goes on over it
            tables, heads = _table_rows(page.tables, lines, heads)
            previous = page.number
            paragraphs.extend((page.number, p) for p in page_paragraphs(lines, tables))
        levels = heading_levels([p for _, p in paragraphs])
        read_by_ocr = _ocr_pages(rel, data, scanned, pictures, whole_scan=not pages, problems=problems)
        blocks = _in_page_order(_blocks(paragraphs, levels), read_by_ocr)
        if not blocks:
            why = "a scanned PDF in which OCR found no text" if scanned else "the PDF has no text: its pages are blank"
            raise Skip(why)
        return [Document(rel, rel, _title(meta_title, blocks, rel), blocks, kind=self.name)]


def _read_pages(rel: str, data: bytes, problems: Problems) -> tuple[list[_Page], str, list[int]]:
    """The pages with a text layer, the metadata title, and the pages that are images only (scans)."""
    import pdfplumber

    errors = _library_errors()
    pages: list[_Page] = []
    scanned: list[int] = []
    failed = slow = 0
    clock = current()
    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except errors as exc:
        raise Skip(_unreadable(exc)) from None
    with pdf:
        try:
            count = len(pdf.pages)
            title = pdf.metadata.get("Title")
        except errors as exc:
            raise Skip(_unreadable(exc)) from None
        if count == 0:
            raise Skip("the PDF has no pages")
        for number in range(1, count + 1):
            page = pdf.pages[number - 1]
            try:
                with clock.page(number):
                    content = _page_content(page, number, errors)
                    laid_out = _layout(content) if content.glyphs else None
            except _Unreadable as exc:
                failed += 1
                problems(f"{rel}:page {number}", f"cannot be read ({exc}); the page is skipped")
                continue
            except PageOver as exc:
                slow += 1
                problems(f"{rel}:page {number}", str(exc))
                continue
            finally:
                page.close()  # drops the page's parsed objects: memory stays one page deep
            if laid_out is None:
                if content.images:
                    scanned.append(number)
                continue
            pages.append(laid_out)
    if not pages and not scanned and slow:
        limit = f"{clock.seconds or 0:g} s"
        raise Skip(f"none of its {count} pages could be read ({slow} took over the {limit} a page may take; {SETTING})")
    if not pages and not scanned and failed:
        raise Skip(f"not a readable PDF (none of its {count} pages could be read)")
    return pages, title if isinstance(title, str) else "", scanned


class _Unreadable(Exception):
    """A page the library cannot read (its message says why)."""


def _page_content(page: Any, number: int, errors: tuple[type[BaseException], ...]) -> PageContent:
    # Only the library's errors mean an unreadable page; one from the layout code after it is a bug,
    # which costs the file and is logged with its traceback (`qa.ingest.parsing.read_with`).
    try:
        return read_page(page, number)
    except errors as exc:
        raise _Unreadable(_reason(exc)) from exc


def _ocr_pages(
    rel: str, data: bytes, scanned: list[int], pictures: list[int], whole_scan: bool, problems: Problems
) -> dict[int, list[Block]]:
    """The blocks OCR reads on pages without a text layer (and pages whose only text is running headers
    beside an image), by page; without OCR installed these pages are reported, a whole scan skipped."""
    from qa.ingest.readers import ocr

    if not scanned and not pictures:
        return {}
    if not ocr.available():
        if whole_scan and scanned:
            raise Skip(f"a scanned PDF with no text layer; its pages are images and OCR is not installed; {_INSTALL}")
        for number in scanned:
            problems(f"{rel}:page {number}", _SCAN)
        for number in pictures:
            problems(f"{rel}:page {number}", _PICTURE)
        return {}
    import pypdfium2 as pdfium

    try:
        ocr.warm_up()
    # Whatever keeps the engine from starting (a system library OpenCV needs, a damaged model) keeps it
    # from every page alike: said once, and the pages with a text layer are still read.
    except Exception as exc:
        why = f"OCR could not start ({type(exc).__name__}: {exc}); reinstall it with `pip install 'ragqa[ocr]'`"
        if whole_scan and scanned:
            raise Skip(f"a scanned PDF with no text layer; {why}") from None
        problems(rel, f"its {len(scanned) + len(pictures)} image-only page(s) are skipped: {why}")
        return {}
    found: dict[int, list[Block]] = {}
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        problems(rel, f"its scanned pages cannot be rendered for OCR ({exc}); they are skipped")
        return {}
    clock = current()
    try:
        for number in sorted(scanned + pictures):
            page = pdf[number - 1]
            try:
                with clock.page(number):
                    width, height = page.get_size()
                    scale = ocr.render_scale(width, height)
                    found[number] = ocr.ocr_page(page.render(scale=scale).to_pil(), number, scale)
            except (pdfium.PdfiumError, ValueError, OSError, RuntimeError) as exc:
                problems(f"{rel}:page {number}", f"OCR could not read it ({type(exc).__name__}: {exc}); skipped")
            except PageOver as exc:
                problems(f"{rel}:page {number}", f"OCR {exc}")
            finally:
                page.close()
    finally:
        pdf.close()
    return found


def _in_page_order(text_layer: list[Block], read_by_ocr: dict[int, list[Block]]) -> list[Block]:
    """Every block in page order, OCR's after the text layer's on a page, offsets into the joined source."""
    ordered = sorted(
        [(b.page or 0, 0, n, b) for n, b in enumerate(text_layer)]
        + [(page, 1, n, b) for page, blocks in read_by_ocr.items() for n, b in enumerate(blocks)]
    )
    out: list[Block] = []
    pos = 0
    for _, _, _, block in ordered:
        out.append(replace(block, start=pos, end=pos + len(block.text)))
        pos += len(block.text) + 2  # the blank line that joins blocks in the source text
    return out


def _table_rows(
    tables: list[Table], lines: list[Line], before: TableHeads | None
) -> tuple[list[tuple[Box, list[Run]]], TableHeads | None]:
    """Each table's rows; the topmost may go on from `before`, the page's last table's heads go on to the next page."""
    if not tables:
        return [], None
    first = min(tables, key=lambda t: (t.bbox[1], t.bbox[0]))
    last = max(tables, key=lambda t: (t.bbox[3], t.bbox[0]))
    out: list[tuple[Box, list[Run]]] = []
    after: TableHeads | None = None
    for table in tables:
        rows, heads = table_rows(table, lines, before if table is first else None)
        out.append((table.bbox, rows))
        if table is last:
            after = heads
    return out, after


def _layout(content: PageContent) -> _Page:
    tables, rest = split_tables(content.grids, content.glyphs)
    return _Page(content.number, content.height, build_lines(rest), tables, content.images)


def _library_errors() -> tuple[type[BaseException], ...]:
    from pdfminer.psexceptions import PSException
    from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

    # pdfminer reports a damaged file with its own errors, and also with whatever a malformed object
    # makes Python raise (a missing key, a short stream, a bad number): for a PDF these mean "unreadable".
    builtin = (ValueError, KeyError, TypeError, IndexError, AttributeError, AssertionError, EOFError)
    return (
        PSException,
        PdfminerException,
        MalformedPDFException,
        *builtin,
        OverflowError,
        ZeroDivisionError,
        RecursionError,
        NotImplementedError,
        struct.error,
        zlib.error,
    )


def _unreadable(exc: BaseException) -> str:
    from pdfminer.pdfdocument import PDFEncryptionError, PDFPasswordIncorrect

    cause = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc
    if isinstance(cause, PDFPasswordIncorrect):
        return "password-protected; save a copy without the password (e.g. print it to a new PDF) and add that"
    if isinstance(cause, PDFEncryptionError):
        return f"encrypted in a way that cannot be read ({_reason(exc)}); save a copy without encryption and add that"
    return f"not a readable PDF ({_reason(exc)}); it may be damaged or cut short, so open it and save it again"


def _reason(exc: BaseException) -> str:
    cause = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc
    text = str(cause).strip()
    return f"{type(cause).__name__}: {text}" if text else type(cause).__name__


def _blocks(paragraphs: list[tuple[int, Paragraph]], levels: list[int]) -> list[Block]:
    blocks: list[Block] = []
    pos = 0
    for (page, p), level in zip(paragraphs, levels):
        run = _stripped(p.run)
        if not run.text:
            continue
        boxes: tuple[Box | None, ...] = tuple(run.boxes)
        blocks.append(Block(run.text, pos, pos + len(run.text), heading=level, page=page, boxes=boxes))
        pos += len(run.text) + 2  # the blank line that joins blocks in the source text
    return blocks


def _stripped(run: Run) -> Run:
    text = run.text.replace("\n", " ")
    start = len(text) - len(text.lstrip())
    end = len(text.rstrip())
    return Run(text[start:end], run.boxes[start:end])


def _title(meta: str, blocks: list[Block], rel: str) -> str:
    meta = " ".join(meta.split())
    if len(meta) >= 2 and any(ch.isalpha() for ch in meta) and not _TOOL_TITLE.search(meta):
        return meta
    headings = [b for b in blocks if b.heading]
    if headings:
        top = min(b.heading for b in headings)
        return next(b.text for b in headings if b.heading == top)
    return stem_title(rel)
