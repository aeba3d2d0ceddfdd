"""Old binary Office files and encrypted new ones: recognised by content, skipped with how to convert them.

No library here writes .doc/.xls/.ppt, so `compound_file` builds the container itself, by the
format's specification (MS-CFB, version 3): a header, a FAT sector and a directory sector whose
entries are empty streams named as Word, Excel and PowerPoint name theirs.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from qa.ingest.corpus import read_corpus
from qa.ingest.readers import Skip, choose
from qa.ingest.readers.legacy_office import OLE2_MAGIC, LegacyOfficeReader

END, FREE, NONE, FAT_SECTOR = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFD


def compound_file(*streams: str) -> bytes:
    """An OLE2 compound file holding empty streams with these names (at most three)."""
    header = OLE2_MAGIC + bytes(16) + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
    header += struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, END, 0, END, 0)
    header += struct.pack("<109I", 0, *[FREE] * 108)
    fat = struct.pack("<128I", FAT_SECTOR, END, *[FREE] * 126)
    names = sorted(streams, key=lambda n: (len(n), n.upper()))  # siblings in the order the format sorts them
    entries = _entry("Root Entry", 5, child=1 if names else NONE)
    for k, name in enumerate(names, 1):
        entries += _entry(name, 2, right=k + 1 if k < len(names) else NONE)
    entries += bytes(128) * (4 - 1 - len(names))
    return header + fat + entries


def _entry(name: str, kind: int, right: int = NONE, child: int = NONE) -> bytes:
    encoded = (name + "\0").encode("utf-16-le")
    return (
        encoded.ljust(64, b"\0")
        + struct.pack("<HBBIII", len(encoded), kind, 1, NONE, right, child)
        + bytes(16 + 4 + 16)  # class id, state bits, times
        + struct.pack("<IQ", END, 0)  # no sectors: an empty stream
    )


def reason(rel: str, data: bytes) -> str:
    reader = choose(rel, data)
    assert isinstance(reader, LegacyOfficeReader)
    with pytest.raises(Skip) as skipped:
        reader.read(rel, data, lambda where, why: None)
    return str(skipped.value)


@pytest.mark.parametrize(
    ("rel", "streams", "program", "old", "target"),
    [
        ("minutes.doc", ("WordDocument", "1Table"), "Word", ".doc", "docx"),
        ("budget.xls", ("Workbook",), "Excel", ".xls", "xlsx"),
        ("talk.ppt", ("PowerPoint Document", "Current User"), "PowerPoint", ".ppt", "pptx"),
        ("saved as.bin", ("WordDocument",), "Word", ".doc", "docx"),  # the streams name the kind, not the ending
    ],
)
def test_an_old_office_file_says_what_to_convert_it_to(
    rel: str, streams: tuple[str, ...], program: str, old: str, target: str
) -> None:
    why = reason(rel, compound_file(*streams))
    assert why.startswith(f"an old binary {program} file ({old}); convert it to .{target}")
    assert f"soffice --headless --convert-to {target} " in why


def test_an_unknown_compound_file_is_called_an_old_office_file() -> None:
    assert reason("mystery.dat", compound_file("Contents")).startswith("an old binary Microsoft Office file")
    # Without telling streams, the ending names the kind.
    assert "convert-to xlsx 'my book.xls'" in reason("my book.xls", compound_file("Contents"))


def test_encrypted_and_legacy_files_are_skipped_in_a_corpus(tmp_path: Path) -> None:
    (tmp_path / "secret.docx").write_bytes(compound_file("EncryptionInfo", "EncryptedPackage"))
    (tmp_path / "old.doc").write_bytes(compound_file("WordDocument"))
    (tmp_path / "fine.txt").write_text("Some text.", encoding="utf-8")

    report = read_corpus(tmp_path)

    why = dict(line.split(": ", 1) for line in report.skipped)
    assert why["secret.docx"].startswith("the file is password-protected")
    assert why["old.doc"].startswith("an old binary Word file (.doc)")
    assert [d.path for d in report.documents] == ["fine.txt"]
