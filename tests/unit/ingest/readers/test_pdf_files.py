"""PDF files the reader cannot read whole: damaged, cut short, locked, empty, scanned; and PDFs found by content."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.ingest.corpus import read_corpus
from qa.ingest.readers import Skip
from qa.ingest.readers.pdf import PdfReader
from tests.unit.ingest.readers import pdf_samples as samples


def read(data: bytes) -> tuple[list[str], list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    docs = PdfReader().read("file.pdf", data, lambda where, why: problems.append((where, why)))
    return [b.text for doc in docs for b in doc.blocks], problems


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"%PDF-1.7\n" + b"\x00garbage " * 200, r"^not a readable PDF \(.+\); it may be damaged"),
        (samples.headings()[:600], r"^not a readable PDF \(.+\)"),  # cut short: a download that stopped
        (samples.encrypted(), r"^password-protected; "),
        (samples.NO_PAGES, r"^the PDF has no pages$"),
    ],
    ids=["corrupt", "truncated", "password", "no-pages"],
)
def test_an_unreadable_pdf_is_skipped_with_the_reason(data: bytes, reason: str) -> None:
    with pytest.raises(Skip, match=reason):
        read(data)


def test_a_pdf_that_only_restricts_printing_opens() -> None:
    texts, problems = read(samples.encrypted(user_password=""))
    assert texts == ["Confidential figures for the board only."] and not problems


def test_without_ocr_a_scanned_page_is_reported_and_the_other_pages_kept(monkeypatch) -> None:
    monkeypatch.setattr("qa.ingest.readers.ocr.available", lambda: False)
    texts, problems = read(samples.text_then_scan())
    assert texts == ["The first page has a text layer.", "The third page has a text layer too."]
    assert [where for where, _ in problems] == ["file.pdf:page 2"]
    assert "OCR is not installed" in problems[0][1] and "pip install 'ragqa[ocr]'" in problems[0][1]


def test_ocr_that_cannot_start_skips_the_scanned_pages_only(monkeypatch) -> None:
    def broken() -> None:
        raise ImportError("libGL.so.1: cannot open shared object file")

    monkeypatch.setattr("qa.ingest.readers.ocr.available", lambda: True)
    monkeypatch.setattr("qa.ingest.readers.ocr.warm_up", broken)
    texts, problems = read(samples.text_then_scan())
    assert texts == ["The first page has a text layer.", "The third page has a text layer too."]
    [(where, why)] = problems
    assert where == "file.pdf" and "OCR could not start (ImportError: libGL.so.1" in why


def test_a_scanned_page_is_read_by_ocr_in_its_place() -> None:
    pytest.importorskip("rapidocr_onnxruntime", reason="OCR is the optional `ocr` extra (make setup installs it)")
    problems: list[tuple[str, str]] = []
    [doc] = PdfReader().read("file.pdf", samples.text_then_scan(), lambda where, why: problems.append((where, why)))
    assert [(b.page, b.text) for b in doc.blocks] == [
        (1, "The first page has a text layer."),
        (2, "The second page is a scan."),
        (3, "The third page has a text layer too."),
    ]
    assert problems == []
    source = "\n\n".join(b.text for b in doc.blocks)
    assert all(source[b.start : b.end] == b.text for b in doc.blocks)
    scanned = doc.blocks[1]
    assert scanned.boxes is not None and len(scanned.boxes) == len(scanned.text)
    # The image is drawn 400 x 520 pt with its lower left corner at (72, 200) on an A4 page (841.9 pt
    # tall): from the top, its text line (200 of 1300 px down, 60 of 1000 px in) starts near
    # 841.9 - 720 + 520 * 200 / 1300 = 201.9 pt, and 72 + 400 * 60 / 1000 = 96 pt from the left.
    boxes = [box for box in scanned.boxes if box is not None]
    assert all(195 < box[1] < 210 for box in boxes) and 90 < boxes[0][0] < 100


def test_a_pdf_is_known_by_its_content_whatever_its_name(tmp_path: Path) -> None:
    (tmp_path / "report.bin").write_bytes(samples.headings())
    (tmp_path / "notes.pdf").write_text("Just a text file someone named .pdf\n", encoding="utf-8")

    report = read_corpus(tmp_path, workers=1)

    [doc] = report.documents
    assert (doc.path, doc.kind, doc.title) == ("report.bin", "pdf", "Water Supply Review")
    assert [b.page for b in doc.blocks] == [1, 1, 1, 1]
    assert report.skipped == ["notes.pdf: named .pdf but its content is not a pdf file (it is plain text)"]
