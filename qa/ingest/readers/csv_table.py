"""CSV and TSV: one table, read like a worksheet (`sheet`): rows naming their columns, no pages.

The file is UTF-8 (a byte order mark, as Excel writes, is dropped); its delimiter is sniffed from
the first lines (comma, semicolon, tab or bar: a European Excel writes semicolons), falling back
to the ending's (tab for .tsv, else comma) when the sniffer cannot tell.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from qa.ingest.documents import Document
from qa.ingest.readers.blocks import tidy
from qa.ingest.readers.reader import Problems, Skip
from qa.ingest.readers.sheet import Row, sheet_page
from qa.ingest.readers.text import decode, stem_title

_SAMPLE = 64 * 1024
# A value that a spreadsheet would hold as a number or a date rather than as text.
_NOT_TEXT = re.compile(r"[-+(]?[$€£¥]?\d[\d,. ]*%?\)?|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}([ T][\d:.]+)?|true|false", re.I)


class CsvReader:
    name = "csv"
    suffixes = frozenset({".csv", ".tsv"})
    binary = False

    def sniff(self, data: bytes) -> bool:
        return False  # by its ending: any text file may have commas in it

    def read(self, rel: str, data: bytes, problems: Problems) -> list[Document]:
        source = decode(data)
        dialect = _dialect(source[:_SAMPLE], PurePosixPath(rel).suffix.lower())
        blocks = sheet_page(_rows(csv.reader(io.StringIO(source), dialect), rel, problems), None)
        if not blocks:
            raise Skip("the file has no values")
        return [Document(rel, rel, stem_title(rel), blocks, kind=self.name)]


def _dialect(sample: str, suffix: str) -> type[csv.Dialect] | csv.Dialect:
    # Only whole lines: a line cut in the middle of a quoted field misleads the sniffer.
    lines = sample.rsplit("\n", 1)[0] if len(sample) == _SAMPLE else sample
    try:
        return csv.Sniffer().sniff(lines, delimiters=",;\t|")
    except csv.Error:
        return csv.excel_tab if suffix == ".tsv" else csv.excel


def _rows(reader: Iterator[list[str]], rel: str, problems: Problems) -> Iterator[Row]:
    try:
        for values in reader:
            yield [(text, not _NOT_TEXT.fullmatch(text)) for text in (tidy(v) for v in values)]
    except csv.Error as exc:  # a field over csv's size limit, a NUL byte: the rows before it are kept
        problems(f"{rel}:line {getattr(reader, 'line_num', '?')}", f"the rest of the file was not read ({exc})")
