"""Office Open XML packages (DOCX, PPTX, XLSX): ZIP files recognised by their main part, and why one cannot be read.

A package is told apart by the part it is built around (word/document.xml, ppt/presentation.xml,
xl/workbook.xml), read from the ZIP's central directory only. A package too damaged for its
directory to be read is still recognised by its files' folder (word/, ppt/, xl/) in their local
headers, so the user is told the file is damaged rather than that it is not a Word file.
"""

from __future__ import annotations

import io
import re
import zipfile

from qa.ingest.readers.reader import Skip

ZIP_MAGIC = b"PK\x03\x04"
# What a package may unpack to: python-docx and python-pptx hold every part, parsed, in memory.
MAX_UNPACKED = 1 << 30


def has_part(data: bytes, part: re.Pattern[str], folder: str) -> bool:
    """Whether the bytes are a ZIP holding a part named like `part`, or a damaged ZIP with files in `folder`."""
    if not data.startswith(ZIP_MAGIC):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            return any(part.fullmatch(name) for name in package.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        # A truncated or damaged ZIP: its local file headers still name their files (30 bytes in).
        return re.search(rb"PK\x03\x04[\s\S]{26}" + re.escape(folder.encode()), data) is not None


def check_package(data: bytes, what: str) -> None:
    """Raise Skip when the ZIP's directory cannot be read or it would unpack to more than MAX_UNPACKED bytes."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            unpacked = sum(info.file_size for info in package.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        why = f"the file is damaged: not a readable ZIP archive ({exc}); open it in {what} and save it again"
        raise Skip(why) from None
    if unpacked > MAX_UNPACKED:
        raise Skip(f"it unpacks to {unpacked >> 20} MB, more than the {MAX_UNPACKED >> 20} MB read for one document")


def unreadable(exc: Exception, what: str) -> Skip:
    """The Skip for a library's error while reading a package, with what the user can do."""
    name = type(exc).__name__
    if isinstance(exc, zipfile.BadZipFile | EOFError) or "zlib" in type(exc).__module__:
        return Skip(f"the file is damaged ({exc}); open it in {what} and save it again")
    if name == "XMLSyntaxError" or isinstance(exc, SyntaxError):
        return Skip(f"the file is damaged: a part of it is not valid XML ({exc}); open it in {what} and save it again")
    if isinstance(exc, KeyError):
        return Skip(
            f"the file is incomplete: a part it refers to is missing ({exc}); open it in {what} and save it again"
        )
    return Skip(f"it could not be read ({name}: {exc})")
