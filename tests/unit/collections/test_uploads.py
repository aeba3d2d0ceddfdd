"""What an upload must be: a name that stays in its folder, a kind the indexer reads by ending and by
content, within the limits, with metadata of scalars; bytes on disk before anything is acknowledged."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import pytest

from qa.collections.uploads import (
    UnsupportedUpload,
    UploadLimits,
    UploadTooLarge,
    check_metadata,
    check_upload,
    safe_name,
    stage,
)
from qa.errors import BadRequest

LIMITS = UploadLimits(max_file_bytes=1000, max_files=3)
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("C:\\Users\\me\\notes.md", "notes.md"),
        (".hidden.txt", "hidden.txt"),
        ("..txt", "txt"),
        ("年度报告 2024.pdf", "年度报告 2024.pdf"),
        ("a\x00b\nc.txt", "a_b_c.txt"),
        ("what?<is>this|.txt", "what_is_this_.txt"),
    ],
)
def test_names_cannot_leave_the_folder(raw: str, safe: str, tmp_path: Path) -> None:
    name = safe_name(raw)
    assert name == safe
    target = (tmp_path / name).resolve()
    assert target.parent == tmp_path.resolve() and not name.startswith(".")


def test_a_long_name_is_cut_but_keeps_its_ending() -> None:
    name = safe_name("长" * 300 + ".pdf")
    assert name.endswith(".pdf") and len(name.encode("utf-8")) <= 200


@pytest.mark.parametrize("raw", ["", "..", "/", ".", "...", "a/", None])
def test_names_with_nothing_usable_are_refused(raw: object) -> None:
    with pytest.raises(BadRequest) as caught:
        safe_name(raw)
    assert caught.value.code == "invalid_file_name"


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("a.txt", "上海张江科学城。".encode(), "text"),
        ("a.md", b"# Title\n\ntext", "markdown"),
        ("a.pdf", PDF, "pdf"),
        ("a.DOCX", docx_bytes(), "docx"),
        ("a.jsonl", b'{"id": "1", "text": "x"}\n', "jsonl"),
    ],
)
def test_kinds_the_indexer_reads_pass(name: str, data: bytes, kind: str) -> None:
    assert check_upload(name, data, LIMITS) == kind


@pytest.mark.parametrize(
    ("name", "data", "says"),
    [
        ("a.exe", b"MZ\x90\x00", "does not read .exe"),
        ("README", b"text", "files without an ending"),
        ("a.pdf", docx_bytes(), "its content is a docx file"),  # content and ending disagree
        ("a.txt", PDF, "its content is a pdf file"),
        ("a.docx", b"just text", "not a docx file (it is plain text)"),
        ("a.pdf", b"\x89PNG\r\n\x1a\n....", "its content is a image file"),
        ("a.txt", b"\xff\xfe\x00\x00binary", "not valid UTF-8"),
        ("a.txt", b"abc\x00def", "binary data"),
        ("a.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 32, "does not read .doc"),
        ("a.txt", b"", "empty"),
    ],
)
def test_other_kinds_are_refused_by_ending_or_content(name: str, data: bytes, says: str) -> None:
    with pytest.raises(UnsupportedUpload) as caught:
        check_upload(name, data, LIMITS)
    assert caught.value.status == 415 and says in caught.value.message


def test_a_file_over_the_limit_is_413() -> None:
    with pytest.raises(UploadTooLarge) as caught:
        check_upload("a.txt", b"x" * 1001, LIMITS)
    assert caught.value.status == 413
    assert LIMITS.request_bytes > 3 * 1000


@pytest.mark.parametrize(
    ("raw", "fields"),
    [(None, {}), ("", {}), ('{"team": "ops", "year": 2024, "final": true, "score": 0.5}', None), ({"a": "b"}, None)],
)
def test_metadata_of_scalars_passes(raw: object, fields: dict | None) -> None:
    expected = fields if fields is not None else (raw if isinstance(raw, dict) else __import__("json").loads(raw))
    assert check_metadata(raw) == expected


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"a": [1]}', "string, a number or a boolean"),
        ('{"a": null}', "string, a number or a boolean"),
        ('{"a": {"b": 1}}', "string, a number or a boolean"),
        ('{"type": "pdf"}', "built in"),
        ('{"": 1}', "a name is"),
        ('{"a b": 1}', "a name is"),
        ('{"a": NaN}', "string, a number or a boolean"),
        ('{"a": "' + "x" * 1001 + '"}', "over 1000 characters"),
        ("{" + ",".join(f'"f{n}": 1' for n in range(33)) + "}", "the limit is 32"),
    ],
)
def test_bad_metadata_is_400_saying_why(raw: str, says: str) -> None:
    with pytest.raises(BadRequest) as caught:
        check_metadata(raw)
    assert caught.value.code == "invalid_metadata" and says in caught.value.message


def test_staged_bytes_are_whole_under_their_final_name(tmp_path: Path) -> None:
    name, digest = stage(tmp_path / "incoming", b"hello")
    assert (tmp_path / "incoming" / name).read_bytes() == b"hello"
    assert len(digest) == 64 and os.listdir(tmp_path / "incoming") == [name]  # no temporary name left
