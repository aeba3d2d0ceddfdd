"""Files parsed in worker processes give what parsing here gives, in the same order; a reader's fault costs one file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qa.ingest import parsing
from qa.ingest.corpus import read_corpus
from tests.unit.ingest.readers import pdf_samples
from tests.unit.ingest.readers.real_documents import DOCUMENTS


def test_workers_read_what_this_process_reads_in_the_same_order(tmp_path: Path) -> None:
    (tmp_path / "a-notes.txt").write_text("First a text file.\n", encoding="utf-8")
    (tmp_path / "b-two-columns.pdf").write_bytes(pdf_samples.headings())
    (tmp_path / "c-scan-and-text.pdf").write_bytes(pdf_samples.text_then_scan())
    if (DOCUMENTS / "en_handbook-1p.docx").is_file():
        shutil.copyfile(DOCUMENTS / "en_handbook-1p.docx", tmp_path / "d-handbook.docx")
    (tmp_path / "e-broken.pdf").write_bytes(b"%PDF-1.7\n% cut short")

    here = read_corpus(tmp_path, workers=1)
    pooled = read_corpus(tmp_path, workers=2)

    def shape(report):
        return [(d.id, d.kind, [(b.text, b.page, b.heading) for b in d.blocks]) for d in report.documents]

    assert shape(pooled) == shape(here) and pooled.checksum == here.checksum
    assert pooled.skipped == here.skipped and any(s.startswith("e-broken.pdf: ") for s in pooled.skipped)
    assert [d.path for d in pooled.documents][:3] == ["a-notes.txt", "b-two-columns.pdf", "c-scan-and-text.pdf"]


def test_a_reader_that_fails_costs_its_file_only(monkeypatch) -> None:
    def broken(self, rel, data, problems):
        raise RuntimeError("a bug in a reader")

    monkeypatch.setattr("qa.ingest.readers.text.TextReader.read", broken)
    parsed = parsing.parse("notes.txt", b"some text")
    assert parsed.documents == [] and parsed.skipped is not None
    assert parsed.skipped.startswith("could not be read (RuntimeError: a bug in a reader)")


@pytest.mark.parametrize("workers", [1, 2])
def test_an_empty_folder_reads_as_nothing(tmp_path: Path, workers: int) -> None:
    report = read_corpus(tmp_path, workers=workers)
    assert report.documents == [] and report.skipped == []
