"""The pages of an indexed passage's source file, as pictures, cached.

Only a file the index was built from is ever opened: its name comes from an indexed passage, is
looked up under the corpus folder the index records (`qa.store.paths.inside`: nothing outside it,
no links), and is read as the indexer read it (`qa.ingest.folder.read_file`); a file whose bytes
no longer hash as the index recorded (`qa.store.catalog.Entry.file`), or, for an index that kept
no digest, whose page no longer holds the passage's boxes, is refused. Drawing a page costs a
tenth of a second or more, so the last pictures drawn are kept, keyed by the file's size and
modification time: a file changed since is read anew.
"""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from qa.config import Settings
from qa.ingest.folder import read_file
from qa.ingest.page_view import VIEWS, PagePicture, PageSize, PageSource, PageUnavailable
from qa.ingest.passages import Passage
from qa.ingest.readers import choose
from qa.ingest.readers.reader import Skip
from qa.store.paths import inside

if TYPE_CHECKING:
    from qa.pipeline import Pipeline

PICTURES_KEPT = 16  # about 3 MB of PNG per worker
_SLACK = 2.0  # points a box may stand out of its page (glyph boxes overhang a little)


def size(pipeline: Pipeline, passage: Passage) -> PageSize:
    """The size of the passage's page in points. Raises PageUnavailable saying why it cannot be shown."""
    return _checked(passage, _size(*_located(pipeline, passage)))


def picture(pipeline: Pipeline, passage: Passage) -> PagePicture:
    """The passage's page drawn. Raises PageUnavailable saying why it cannot be shown."""
    drawn = _picture(*_located(pipeline, passage))
    _checked(passage, drawn.size)
    return drawn


def _located(pipeline: Pipeline, passage: Passage) -> tuple[str, int, int, int, str | None]:
    """(path, size, mtime_ns, page, digest): the file as it is now, the key its pictures are kept
    under, and the sha256 its bytes had when indexed (None where the index did not keep it)."""
    root = (pipeline.index.manifest.get("corpus") or {}).get("path")
    path = inside(root, passage.path) if root and passage.page else None
    if path is None:
        raise PageUnavailable("the index does not say where its files are")
    try:
        info = os.stat(path, follow_symlinks=False)
    except OSError:
        raise PageUnavailable(f"{passage.path} is no longer in {root}") from None
    indexed = next((e.file for e in pipeline.index.documents or [] if e.id == passage.doc), None)
    return str(path), info.st_size, info.st_mtime_ns, passage.page or 0, indexed


@lru_cache(maxsize=256)
def _size(path: str, _bytes: int, _mtime: int, page: int, indexed: str | None) -> PageSize:
    data, view = _open(path, indexed)
    return view.size(data, page)


@lru_cache(maxsize=PICTURES_KEPT)
def _picture(path: str, _bytes: int, _mtime: int, page: int, indexed: str | None) -> PagePicture:
    data, view = _open(path, indexed)
    return view.picture(data, page)


def _open(path: str, indexed: str | None) -> tuple[bytes, PageSource]:
    where = Path(path)
    try:
        data = read_file(where.parent, where.name, Settings.from_env().max_file_bytes)
        view = VIEWS.get(choose(where.name, data).name)
    except Skip as exc:
        raise PageUnavailable(f"{where.name}: {exc}") from None
    if indexed is not None and hashlib.sha256(data).hexdigest() != indexed:
        raise PageUnavailable(f"{where.name} has changed since it was indexed; index it again to show its pages")
    if view is None:
        raise PageUnavailable(f"{where.name} has no pages to show")
    return data, view


def _checked(passage: Passage, page: PageSize) -> PageSize:
    boxes = passage.rectangles() or []
    if any(x1 > page.width + _SLACK or bottom > page.height + _SLACK for _, _, x1, bottom in boxes):
        raise PageUnavailable(f"{passage.path} has changed since it was indexed; index it again to show its pages")
    return page
