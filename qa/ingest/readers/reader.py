"""The contract every format reader keeps: recognise its files, turn one into documents.

A reader gets the whole file's bytes (already bounded by the corpus's size limit) and returns
`Document`s made of `Block`s (`qa.ingest.documents`); nothing after it knows the format. A file it
cannot read at all raises `Skip` with the reason a user is shown; a part it cannot read (a page, a
sheet, a JSONL line) is reported through `Problems` and the rest is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from qa.ingest.documents import Document

# (where in the file, why): "report.pdf:page 7", "the page has no text layer; ..."
Problems = Callable[[str, str], None]


class Skip(Exception):
    """A file that is not read, with the reason a user is shown."""


class Reader(Protocol):
    name: str  # the documents' kind, and what messages call the format ("pdf", "docx")
    suffixes: frozenset[str]  # lower-case file endings with the dot, for files the content does not name
    binary: bool  # a binary format is recognised by its content (`sniff`); a text one by its ending only

    def sniff(self, data: bytes) -> bool:
        """Whether the bytes are a file of this format (magic bytes, a ZIP's parts); False for text formats."""
        ...

    def read(self, rel: str, data: bytes, problems: Problems) -> list[Document]:
        """The documents of one file (`rel` is its path in the corpus, posix); raises Skip for a file it cannot read."""
        ...
