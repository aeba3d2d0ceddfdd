"""`ragqa index` and `ragqa index --update` leave `ingest-report.json` beside the index: every file read
(kind, pages, passages, seconds) and every file skipped with its reason, the totals and the version.

A small corpus of real files, some of them bad: a corrupt PDF, an empty file, a `.docx` that is a
renamed text file. The index root holding the report still loads, prunes and locks as before.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from qa.cli import main
from qa.ingest.ingest_report import REPORT
from qa.store import versions
from tests.unit.ingest.readers import pdf_samples


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    root.mkdir()
    (root / "notes.txt").write_text("The harbour market opens at six every morning.\n", encoding="utf-8")
    (root / "columns.pdf").write_bytes(pdf_samples.two_columns())
    (root / "headers.pdf").write_bytes(pdf_samples.running_headers())
    (root / "broken.pdf").write_bytes(b"%PDF-1.7\n% cut short")
    (root / "empty.txt").write_bytes(b"")
    (root / "letter.docx").write_text("A text file that was renamed.\n", encoding="utf-8")
    return root


def index(runner, corpus: Path, root: Path, *extra: str) -> str:
    result = runner.invoke(main, ["index", "--corpus", str(corpus), "--index", str(root), *extra])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_report_lists_every_file_read_and_skipped_with_the_version(runner, corpus: Path, tmp_path: Path) -> None:
    root = tmp_path / "index"
    output = index(runner, corpus, root)

    path = root / REPORT
    assert f"files read and skipped: {path}" in output.splitlines()[-1]  # the summary line names it
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    report = json.loads(path.read_text(encoding="utf-8"))
    assert report["version"] == versions.pointer(root) and report["corpus"] == str(corpus.resolve())
    read = {f["path"]: f for f in report["read"]}
    assert sorted(read) == ["columns.pdf", "headers.pdf", "notes.txt"]
    assert (read["notes.txt"]["kind"], read["notes.txt"]["pages"]) == ("text", 0)
    assert read["headers.pdf"]["kind"] == "pdf" and read["headers.pdf"]["pages"] > 1
    assert all(f["documents"] == 1 and f["passages"] >= 1 and f["seconds"] >= 0 for f in read.values())
    skipped = {f["path"]: f["reason"] for f in report["skipped"]}
    assert sorted(skipped) == ["broken.pdf", "empty.txt", "letter.docx"]
    assert skipped["broken.pdf"].startswith("not a readable PDF")
    assert skipped["empty.txt"] == "the file is empty (0 bytes)"
    assert skipped["letter.docx"] == "named .docx but its content is not a docx file (it is plain text)"
    for why in skipped.values():
        assert why in output  # the same reasons the command printed
    totals = report["totals"]
    assert (totals["files"], totals["read"], totals["skipped"]) == (6, 3, 3)
    assert totals["passages"] == sum(f["passages"] for f in read.values())
    assert f"{totals['documents']} documents, {totals['passages']} passages" in output
    assert not [p.name for p in root.iterdir() if p.name.startswith(f".{REPORT}")]  # no temporary file left

    asked = runner.invoke(main, ["ask", "When does the harbour market open?", "--index", str(root), "--json"])
    assert asked.exit_code == 0, asked.output  # a root holding the report loads as before


def test_an_update_rewrites_the_report_and_old_versions_are_pruned_around_it(
    runner, corpus: Path, tmp_path: Path
) -> None:
    root = tmp_path / "index"
    index(runner, corpus, root, "--keep", "1")
    first = versions.pointer(root)
    (corpus / "empty.txt").write_text("The ferry leaves at nine.\n", encoding="utf-8")

    output = index(runner, corpus, root, "--update", "--keep", "1")

    report = json.loads((root / REPORT).read_text(encoding="utf-8"))
    assert f"files read and skipped: {root / REPORT}" in output.splitlines()[-1]
    assert report["version"] == versions.pointer(root) != first
    assert versions.names(root) == [report["version"]]  # the first version pruned, the report kept
    assert "empty.txt" in {f["path"] for f in report["read"]}
    assert {f["path"] for f in report["skipped"]} == {"broken.pdf", "letter.docx"}
    assert sorted(p.name for p in root.iterdir()) == sorted(
        [versions.POINTER, versions.VERSIONS, versions.LOCK, REPORT]
    )

    again = index(runner, corpus, root, "--update")
    assert "up to date" in again and json.loads((root / REPORT).read_text())["version"] == report["version"]
