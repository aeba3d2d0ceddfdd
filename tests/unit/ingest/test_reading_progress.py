"""Reading a corpus shows files and pages per second: a bar on a terminal, whole lines in a log."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.ingest.corpus import read_corpus
from tests.unit.ingest.readers import pdf_samples


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    (tmp_path / "a-notes.txt").write_text("A text file has no pages.\n", encoding="utf-8")
    (tmp_path / "b-columns.pdf").write_bytes(pdf_samples.two_columns())
    (tmp_path / "c-headers.pdf").write_bytes(pdf_samples.running_headers())
    return tmp_path


def test_the_reading_line_counts_files_and_pages_per_second(corpus: Path, monkeypatch, capsys) -> None:
    monkeypatch.setattr("qa.ingest.corpus.BAR_DELAY", 0)  # wiring: shown at once, not after two seconds

    report = read_corpus(corpus, workers=1, progress=True)

    lines = capsys.readouterr().err.splitlines()  # stderr is no terminal here: a log's lines, no bar redraws
    pages = {f.path: f.pages for f in report.files}
    assert pages["a-notes.txt"] == 0 and pages["b-columns.pdf"] >= 1 and pages["c-headers.pdf"] > 1
    assert lines[-1].startswith("reading: 100%") and "3/3" in lines[-1] and "file/s" in lines[-1]
    assert f"{sum(pages.values())} pages, " in lines[-1] and " pages/s]" in lines[-1]
    assert not any("\r" in line for line in lines)


def test_a_corpus_read_in_under_two_seconds_prints_nothing(corpus: Path, capsys) -> None:
    read_corpus(corpus, workers=1, progress=True)
    assert capsys.readouterr().err == ""
