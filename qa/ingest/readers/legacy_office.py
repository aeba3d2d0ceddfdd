"""Old binary Office files (.doc, .xls, .ppt) and encrypted new ones: recognised, skipped with how to convert.

Both are OLE2 compound files. Their kind is read from the names of the streams they hold
(WordDocument, Workbook, PowerPoint Document; EncryptedPackage for a password-protected
.docx/.xlsx/.pptx), stored as UTF-16 in the file's directory, and else from the file's ending.
"""

from __future__ import annotations

import shlex
from pathlib import PurePosixPath

from qa.ingest.documents import Document
from qa.ingest.readers.reader import Problems, Skip

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# (stream name, suffix, program, target format)
_KINDS = (
    ("WordDocument", ".doc", "Word", "docx"),
    ("PowerPoint Document", ".ppt", "PowerPoint", "pptx"),
    ("Workbook", ".xls", "Excel", "xlsx"),
    ("Book", ".xls", "Excel", "xlsx"),  # Excel 5/95
)


class LegacyOfficeReader:
    name = "legacy Office"
    # Recognised by content only: a .doc that is really HTML or RTF (as many are) is not this reader's.
    suffixes: frozenset[str] = frozenset()
    binary = True

    def sniff(self, data: bytes) -> bool:
        return data.startswith(OLE2_MAGIC)

    def read(self, rel: str, data: bytes, problems: Problems) -> list[Document]:
        raise Skip(reason(rel, data))


def reason(rel: str, data: bytes) -> str:
    """Why an OLE2 file is not read, and how to make it readable."""
    if _has_stream(data, "EncryptedPackage"):
        return (
            "the file is password-protected (an encrypted Office file); "
            "save a copy without the password (File > Info > Protect) and index that"
        )
    suffix = PurePosixPath(rel).suffix.lower()
    kind = next((k for k in _KINDS if _has_stream(data, k[0])), None)
    kind = kind or next((k for k in _KINDS if k[1] == suffix), None)
    name = shlex.quote(PurePosixPath(rel).name)
    if kind is None:
        return (
            "an old binary Microsoft Office file (OLE2) of unknown kind; convert it to .docx, .xlsx or .pptx "
            f"(LibreOffice: `soffice --headless --convert-to docx {name}`, or xlsx, pptx) and index again"
        )
    _, old, program, target = kind
    return (
        f"an old binary {program} file ({old}); convert it to .{target} "
        f"(LibreOffice: `soffice --headless --convert-to {target} {name}`) and index again"
    )


def _has_stream(data: bytes, name: str) -> bool:
    # A directory entry holds its name in UTF-16LE, ended by a NUL character.
    return (name.encode("utf-16-le") + b"\x00\x00") in data
