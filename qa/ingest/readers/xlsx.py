"""Excel (.xlsx): a document a visible sheet, its rows naming their columns, cells as Excel shows them.

The workbook is opened read-only (rows stream from the ZIP; a sheet of 100,000 rows is never held
as cells) with cached formula results in place of formulas. Each sheet's page is its 1-based
position among the workbook's sheets, the same number a reference such as Sheet1!B2 points at.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

from qa.ingest.documents import Document
from qa.ingest.readers.blocks import tidy
from qa.ingest.readers.cell_text import cell_text
from qa.ingest.readers.office_package import check_package, has_part, unreadable
from qa.ingest.readers.reader import Problems, Skip
from qa.ingest.readers.sheet import Row, sheet_page
from qa.ingest.readers.text import stem_title

_MAIN_PART = re.compile(r"xl/workbook\.xml")


class XlsxReader:
    name = "xlsx"
    suffixes = frozenset({".xlsx", ".xlsm"})
    binary = True

    def sniff(self, data: bytes) -> bool:
        return has_part(data, _MAIN_PART, "xl/")

    def read(self, rel: str, data: bytes, problems: Problems) -> list[Document]:
        check_package(data, "Excel")
        try:
            from openpyxl import load_workbook

            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl, zipfile and the XML parsers raise many kinds
            raise unreadable(exc, "Excel") from None
        try:
            file_title = tidy(workbook.properties.title or "") or stem_title(rel)
            docs = []
            for page, name in enumerate(workbook.sheetnames, 1):
                sheet = workbook[name]
                if not hasattr(sheet, "iter_rows") or sheet.sheet_state != "visible":
                    continue  # a chart sheet has no cells; a hidden sheet is not what its owner shows
                try:
                    blocks = sheet_page(_rows(sheet), page)
                except Exception as exc:
                    problems(f"{rel}:sheet {name}", f"the sheet could not be read ({type(exc).__name__}: {exc})")
                    continue
                if blocks:
                    docs.append(Document(f"{rel}#{name}", rel, f"{file_title} — {name}", blocks, kind=self.name))
        except Exception as exc:
            raise unreadable(exc, "Excel") from None
        finally:
            workbook.close()
        if not docs:
            raise Skip("no visible sheet has any text")
        return docs


def _rows(sheet: Any) -> Iterator[Row]:
    # Recorded dimensions can be wrong (A1:XFD1048576 from some writers): read the cells stored instead.
    sheet.reset_dimensions()
    for cells in sheet.iter_rows():
        row = []
        for cell in cells:
            text, is_text = cell_text(cell.value, getattr(cell, "number_format", None))
            if is_text and text and not (text.isprintable() and text == text.strip() and "  " not in text):
                text = tidy(text)
            row.append((text, is_text))
        yield row
