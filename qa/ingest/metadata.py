"""What every document carries beside its text, for filters: where it is, what kind, when, how long.

Built-in fields come from the file and its reader: `path` (relative to the corpus folder), `folder`
(the path's folder, "" at the top), `type` (the reader: pdf, docx, markdown, jsonl, ...),
`modified` (the file's modification time, ISO 8601 in UTC), `title`, and `pages` (PDF pages,
slides, sheets or image frames; absent for formats without pages). A source's own fields (a JSONL
record's other keys) are added beside them; a built-in field keeps its value where a record names
one of the same name, so `type` always means the reader.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import PurePosixPath

from qa.ingest.documents import Document, Scalar

BUILT_IN = ("path", "folder", "type", "modified", "title", "pages")


def of(doc: Document) -> dict[str, Scalar]:
    """A document's metadata as a version stores it (`qa.store.catalog.Entry.meta`)."""
    folder = str(PurePosixPath(doc.path).parent)
    own: dict[str, Scalar] = {
        "path": doc.path,
        "folder": "" if folder == "." else folder,
        "type": doc.kind,
        "title": doc.title,
    }
    if doc.modified is not None:
        own["modified"] = doc.modified
    if doc.pages:
        own["pages"] = doc.pages
    return {**{k: v for k, v in doc.fields.items() if k not in BUILT_IN}, **own}


def modified(mtime: float) -> str:
    """A file's modification time as `modified` holds it: ISO 8601, UTC, to the second."""
    return datetime.fromtimestamp(int(mtime), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
