"""The ingest report of a real corpus read: files read, parts skipped, files skipped, totals; written whole or not."""

from __future__ import annotations

import json
from pathlib import Path

from qa.ingest.corpus import read_corpus
from qa.ingest.ingest_report import REPORT, ingest_report, write_report


def test_a_report_holds_files_read_parts_skipped_and_files_skipped(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "faq.jsonl").write_text('{"id": "q1", "text": "Open at nine."}\nnot json\n', encoding="utf-8")
    (corpus / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42")
    read = read_corpus(corpus, workers=1)

    report = ingest_report(corpus, read, "v1", {"q1": 2}, 1.25)

    [faq] = report["read"]
    assert (faq["path"], faq["kind"], faq["documents"], faq["passages"]) == ("faq.jsonl", "jsonl", 1, 2)
    assert [part["where"] for part in faq["parts_skipped"]] == ["faq.jsonl:2"]
    assert report["skipped"] == [{"path": "clip.mp4", "kind": None, "reason": report["skipped"][0]["reason"]}]
    assert report["skipped"][0]["reason"].startswith("unsupported file type")
    assert report["totals"] | {"reading_seconds": 0} == {
        "files": 2,
        "read": 1,
        "skipped": 1,
        "parts_skipped": 1,
        "pages": 0,
        "documents": 1,
        "passages": 2,
        "reading_seconds": 0,
        "seconds": 1.25,
    }
    assert report["version"] == "v1" and report["limits"]["page_seconds"] == 60.0

    path = write_report(tmp_path, report)
    assert path == tmp_path / REPORT and json.loads(path.read_text(encoding="utf-8")) == report


def test_a_report_that_cannot_be_written_costs_the_report_not_the_build(tmp_path: Path, caplog) -> None:
    assert write_report(tmp_path / "gone", {"format": 1}) is None
    assert "the ingest report could not be written" in caplog.text
