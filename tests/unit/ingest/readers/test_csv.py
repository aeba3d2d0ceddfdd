"""The CSV reader: a table read like a sheet (rows naming their columns); UTF-8, BOM or not; delimiter sniffed."""

from __future__ import annotations

from pathlib import Path

from qa.ingest.corpus import read_corpus
from tests.unit.ingest.readers.real_documents import assert_offsets


def blocks_of(tmp_path: Path, rel: str, content: bytes) -> list[tuple[str, int, int | None]]:
    (tmp_path / rel).write_bytes(content)
    report = read_corpus(tmp_path)
    assert not report.skipped, report.skipped
    [doc] = [d for d in report.documents if d.path == rel]
    assert doc.kind == "csv"
    assert_offsets(doc.blocks)
    return [(b.text, b.heading, b.page) for b in doc.blocks]


def test_a_csv_with_a_byte_order_mark_reads_as_named_rows(tmp_path: Path) -> None:
    content = "\ufeff学历,人数\n本科,12\n硕士,3\n".encode()  # as Excel saves "CSV UTF-8"
    assert blocks_of(tmp_path, "staff.csv", content) == [("学历: 本科; 人数: 12.\n学历: 硕士; 人数: 3.", 0, None)]
    assert read_corpus(tmp_path).documents[0].title == "staff"


def test_semicolons_tabs_and_quoted_fields_are_sniffed(tmp_path: Path) -> None:
    semicolons = b'Name;City;Note\nBob;Paris;"likes; cheese"\nAna;Lyon;"two\nlines"\n'
    assert blocks_of(tmp_path, "eu.csv", semicolons) == [
        ("Name: Bob; City: Paris; Note: likes; cheese.\nName: Ana; City: Lyon; Note: two lines.", 0, None)
    ]
    assert blocks_of(tmp_path, "table.tsv", b"Item\tPrice\nTea\t3.50\n") == [("Item: Tea; Price: 3.50.", 0, None)]


def test_title_rows_head_the_table_and_a_single_column_falls_back_to_plain_rows(tmp_path: Path) -> None:
    titled = b"Quarterly figures,,\n,,\nRegion,Q1,Q2\nNorth,10,12\n"
    assert blocks_of(tmp_path, "figures.csv", titled) == [
        ("Quarterly figures", 2, None),
        ("Region: North; Q1: 10; Q2: 12.", 0, None),
    ]
    assert blocks_of(tmp_path, "list.csv", b"first note\nsecond note\n") == [("first note.\nsecond note.", 0, None)]


def test_a_csv_not_in_utf8_is_skipped_with_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "gbk.csv").write_bytes("姓名,城市\n张三,北京\n".encode("gbk"))
    report = read_corpus(tmp_path)
    assert report.documents == []
    assert len(report.skipped) == 1
    assert report.skipped[0].startswith("gbk.csv: not valid UTF-8")
    assert "convert it to UTF-8" in report.skipped[0]
