"""Fields a corpus folder gives its files (`.ragqa-fields.json`) reach their documents' metadata."""

from __future__ import annotations

import json
from pathlib import Path

from qa.ingest import metadata
from qa.ingest.corpus import corpus_checksum, read_corpus
from qa.ingest.folder import FIELDS, read_fields, write_fields


def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("上海张江科学城集聚了大量研发机构。", encoding="utf-8")
    (root / "sub" / "b.md").write_text("# B\n\nThe tower stands 252 metres tall.", encoding="utf-8")
    records = [{"id": "r1", "text": "The museum opens at 9:30.", "team": "own"}, {"id": "r2", "text": "Closed."}]
    (root / "faq.jsonl").write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    return root


def test_given_fields_join_each_files_documents(tmp_path: Path) -> None:
    root = corpus(tmp_path)
    write_fields(root, {"a.txt": {"team": "ops", "year": 2024}, "faq.jsonl": {"team": "given", "public": True}})
    report = read_corpus(root, workers=1)
    docs = {d.id: d for d in report.documents}
    assert metadata.of(docs["a.txt"])["team"] == "ops" and docs["a.txt"].fields["year"] == 2024
    assert docs["sub/b.md"].fields == {}
    assert docs["r1"].fields == {"team": "own", "public": True}  # the record's own field is the more specific
    assert docs["r2"].fields == {"team": "given", "public": True}
    assert [f.path for f in report.files] == ["a.txt", "faq.jsonl", "sub/b.md"]  # the fields file is no document


def test_fields_change_the_corpus_checksum_and_none_keeps_it(tmp_path: Path) -> None:
    root = corpus(tmp_path)
    before = read_corpus(root, workers=1).checksum
    assert corpus_checksum(root) == before
    write_fields(root, {"a.txt": {"team": "ops"}})
    after = read_corpus(root, workers=1).checksum
    assert after != before and corpus_checksum(root) == after
    write_fields(root, {})
    assert not (root / FIELDS).exists() and corpus_checksum(root) == before


def test_a_damaged_fields_file_is_reported_and_the_files_still_read(tmp_path: Path) -> None:
    root = corpus(tmp_path)
    (root / FIELDS).write_text("{not json", encoding="utf-8")
    report = read_corpus(root, workers=1)
    assert len(report.documents) == 4 and all(not d.fields.get("team") or d.id == "r1" for d in report.documents)
    assert any(s.startswith(FIELDS) and "not valid JSON" in s for s in report.skipped)


def test_values_that_are_not_scalars_are_dropped(tmp_path: Path) -> None:
    root = corpus(tmp_path)
    (root / FIELDS).write_text(json.dumps({"a.txt": {"ok": "yes", "list": [1], "none": None}, "x": 3}))
    assert read_fields(root)[0] == {"a.txt": {"ok": "yes"}}
