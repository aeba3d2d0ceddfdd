"""A page that takes too long is skipped with its reason and the rest of its file kept; a worker stuck for
good is killed and costs its own file only.

The slow and stuck readers are fakes (`slow_readers`, saying why); one test reads a real PDF whose
second page holds 120,000 characters, far more than its limit allows, in a real worker process.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.config import Settings
from qa.errors import RagqaError
from qa.ingest.corpus import read_corpus
from qa.ingest.parsing import Parsers
from qa.ingest.readers.page_clock import PageClock, PageOver, current, timing
from tests.unit.ingest.readers import pdf_samples
from tests.unit.ingest.slow_readers import Dies, SlowPage, StuckInC


def heavy_middle_page() -> bytes:
    """Three pages; the second holds 400 lines of tiny text, seconds of pdfminer's work where the others take ms."""

    def draw(c) -> None:
        pdf_samples.paragraph(c, "The first page is light.", 72, pdf_samples.HEIGHT - 100, 400)
        c.showPage()
        c.setFont("Helvetica", 1.5)
        for line in range(400):
            c.drawString(10, 830 - line * 2, f"heavy{line} " * 42)
        c.showPage()
        pdf_samples.paragraph(c, "The third page is light too.", 72, pdf_samples.HEIGHT - 100, 400)

    return pdf_samples.pdf(draw)


@pytest.mark.parametrize("workers", [1, 2], ids=["in this process", "in a worker"])
def test_a_page_over_its_limit_is_skipped_and_the_other_pages_are_kept(workers: int) -> None:
    parse = Parsers(workers, page_seconds=0.5)
    try:
        parsed = parse.result(parse.submit("report.slow", b"x", SlowPage(pages=3, slow=2, seconds=60)))
    finally:
        parse.close()
    assert parsed.skipped is None and parsed.pages == 3 and parsed.kind == "slow"
    assert [b.text for b in parsed.documents[0].blocks] == ["page 1 of report.slow", "page 3 of report.slow"]
    assert parsed.problems == [
        ("report.slow:page 2", "took over 0.5 s to read; skipped (RAGQA_PAGE_SECONDS sets the limit)")
    ]
    assert parsed.seconds < 30  # given up, not slept through


def test_a_worker_stuck_for_good_is_killed_and_only_its_file_is_skipped() -> None:
    parse = Parsers(2, page_seconds=0.5, grace=1.0)
    try:
        jobs = [
            parse.submit("a.slow", b"x", SlowPage(slow=0)),
            parse.submit("b.stuck", b"x", StuckInC()),
            parse.submit("c.slow", b"x", SlowPage(slow=0)),
            parse.submit("d.slow", b"x", SlowPage(pages=2, slow=2)),
        ]
        results = {job.rel: parse.result(job) for job in jobs}
    finally:
        parse.close()
    stuck = results.pop("b.stuck")
    assert stuck.documents == [] and stuck.skipped is not None
    assert stuck.skipped.startswith("reading it showed no progress for 1.5 s (a page stuck), so it was stopped")
    assert {rel: len(p.documents[0].blocks) for rel, p in results.items()} == {"a.slow": 3, "c.slow": 3, "d.slow": 1}
    assert all(p.skipped is None for p in results.values())
    assert [where for where, _ in results["d.slow"].problems] == ["d.slow:page 2"]  # the page timer, not the kill


def test_a_real_pdf_page_over_its_limit_is_skipped_and_the_corpus_read(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("RAGQA_PAGE_SECONDS", "1")
    (tmp_path / "a-notes.txt").write_text("A text file is read too.\n", encoding="utf-8")
    (tmp_path / "b-heavy.pdf").write_bytes(heavy_middle_page())
    (tmp_path / "c-light.pdf").write_bytes(pdf_samples.headings())

    report = read_corpus(tmp_path, workers=2)

    heavy = next(d for d in report.documents if d.path == "b-heavy.pdf")
    assert [b.text for b in heavy.blocks] == ["The first page is light.", "The third page is light too."]
    assert [b.page for b in heavy.blocks] == [1, 3]
    assert report.skipped == ["b-heavy.pdf:page 2: took over 1 s to read; skipped (RAGQA_PAGE_SECONDS sets the limit)"]
    assert [d.path for d in report.documents] == ["a-notes.txt", "b-heavy.pdf", "c-light.pdf"]
    files = {f.path: f for f in report.files}
    assert (files["b-heavy.pdf"].kind, files["b-heavy.pdf"].pages) == ("pdf", 3)
    assert files["b-heavy.pdf"].problems == [("b-heavy.pdf:page 2", report.skipped[0].split(": ", 1)[1])]


def test_a_reader_called_on_its_own_has_no_limit_and_the_caller_sets_one() -> None:
    assert current().seconds is None
    clock = PageClock(0.2)
    with timing(clock), pytest.raises(PageOver, match=r"took over 0\.2 s"), current().page(1):
        n = 0
        while n >= 0:  # pure Python, as pdfminer is: the timer interrupts it
            n += 1
    assert current().seconds is None and clock.pages == 1


def test_the_limit_is_a_setting() -> None:
    assert Settings.from_env({}).page_seconds == 60.0
    assert Settings.from_env({"RAGQA_PAGE_SECONDS": "2.5"}).page_seconds == 2.5
    with pytest.raises(RagqaError, match="RAGQA_PAGE_SECONDS must be a positive number"):
        Settings.from_env({"RAGQA_PAGE_SECONDS": "0"})


def test_a_file_whose_worker_dies_is_skipped_and_the_files_beside_it_are_read() -> None:
    parse = Parsers(2, page_seconds=30)
    try:
        jobs = [parse.submit(rel, b"x", reader) for rel, reader in [("a.slow", SlowPage(slow=0)), ("b.dies", Dies())]]
        jobs += [parse.submit(f"{n}.slow", b"x", SlowPage(slow=0)) for n in "cde"]
        results = {job.rel: parse.result(job) for job in jobs}
    finally:
        parse.close()
    assert results.pop("b.dies").skipped == "the process reading it died (out of memory?); it was not read"
    assert all(len(p.documents[0].blocks) == 3 for p in results.values()), results
