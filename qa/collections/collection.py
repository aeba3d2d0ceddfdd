"""Named collections under one data folder, each with its own documents, index and queue.

`<data>/<name>/` holds `corpus/` (the documents, under safe names, and their upload fields),
`index/` (its index root, versions as `ragqa index` writes them), `incoming/` (uploaded bytes the
writer has not moved into the corpus yet), `queue.sqlite` (`qa.collections.queue`) and
`writer.lock` (`qa.collections.writer`). The collection named `default` is the server's own
index and corpus (RAGQA_INDEX, RAGQA_CORPUS): served like the others, written only by
`ragqa index`, so read-only here.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from qa.collections.names import DEFAULT, PATTERN, check_name
from qa.collections.queue import DocumentQueue, Entry, NewDocument
from qa.collections.uploads import (
    UploadLimits,
    UploadTooLarge,
    check_metadata,
    check_upload,
    safe_name,
    stage,
)
from qa.errors import BadRequest, RagqaError
from qa.store.versions import fsync


class UnknownCollection(RagqaError):
    status = 404
    code = "not_found"


class CollectionExists(RagqaError):
    status = 409
    code = "exists"


class ReadOnlyCollection(RagqaError):
    status = 409
    code = "read_only"


class CollectionEmpty(RagqaError):
    """A collection with no index version to answer from: nothing indexed yet, or every document deleted."""

    status = 409
    code = "empty"


@dataclass(frozen=True)
class Upload:
    """One file of an upload request: the name the client gave and where its bytes are read from."""

    filename: str
    stream: IO[bytes]

    def read(self, limit: int) -> bytes:
        """Its bytes, at most one past `limit` (enough to know it is too large)."""
        return self.stream.read(limit + 1)


@dataclass(frozen=True)
class Collection:
    name: str
    corpus: Path  # its documents
    index: Path  # its index root
    folder: Path | None  # <data>/<name>; None for the default collection, which lives where the server says

    @property
    def read_only(self) -> bool:
        return self.folder is None

    @property
    def queue(self) -> DocumentQueue:
        return DocumentQueue(self._own() / "queue.sqlite")

    @property
    def incoming(self) -> Path:
        return self._own() / "incoming"

    @property
    def lock_path(self) -> Path:
        return self._own() / "writer.lock"

    def _own(self) -> Path:
        if self.folder is None:
            raise ReadOnlyCollection(
                f"the collection '{self.name}' is the server's own index; change it with `ragqa index`, "
                "or create a collection to upload to"
            )
        return self.folder

    def writable(self) -> Collection:
        """This collection, or ReadOnlyCollection (409 `read_only`) for the default one."""
        self._own()
        return self

    def add(self, uploads: Sequence[Upload], fields: Any, limits: UploadLimits) -> list[Entry]:
        """Check and stage each file in turn (one in memory at a time), then queue them all in one
        transaction: all are acknowledged, or none, and the bytes of none are kept.

        Raises the 400/413/415 of the metadata or of the first file that cannot be taken.
        """
        self.writable()
        if not uploads:
            raise BadRequest("send one or more files in the form field 'file'", code="missing_file")
        if len(uploads) > limits.max_files:
            raise UploadTooLarge(f"{len(uploads)} files in one upload; the limit is {limits.max_files}")
        meta = check_metadata(fields)
        names = [safe_name(upload.filename) for upload in uploads]
        staged: list[NewDocument] = []
        try:
            for name, upload in zip(names, uploads):
                data = upload.read(limits.max_file_bytes)
                check_upload(name, data, limits)
                token, digest = stage(self.incoming, data)
                staged.append(NewDocument(name, token, len(data), digest, meta))
            return self.queue.put(staged)
        except BaseException:
            for doc in staged:  # not acknowledged: nothing is kept
                (self.incoming / doc.staged).unlink(missing_ok=True)
            raise

    def remove(self, doc_id: str) -> Entry:
        """Ask for a document to leave the collection (the writer takes it out of the index)."""
        return self.writable().queue.delete(doc_id)

    def reindex(self) -> None:
        """Ask for the whole folder to be read and embedded again at the writer's next pass."""
        self.writable().queue.request_reindex()

    def served(self) -> tuple[str | None, int]:
        """Its live version and passage count as its index root stands; (None, 0) while nothing is indexed."""
        from qa.store import read_manifest, versions

        try:
            count = int(read_manifest(self.index).get("count") or 0)
        except (RagqaError, OSError, ValueError):
            return None, 0
        return versions.pointer(self.index), count

    def summary(self) -> dict[str, Any]:
        """Documents by status, for `GET /api/collections` (passages and version come from the served index)."""
        counts = {"queued": 0, "indexing": 0, "ready": 0, "failed": 0}
        if self.folder is not None:
            found = self.queue.counts()
            counts = {status: found[status] for status in counts}
        return {"name": self.name, "documents": counts, "read_only": self.read_only}


class Collections:
    """The collections of one data folder, and the default one."""

    def __init__(self, data_dir: str | Path, default_corpus: str | Path, default_index: str | Path) -> None:
        self.data_dir = Path(data_dir)
        self.default = Collection(DEFAULT, Path(default_corpus), Path(default_index), None)

    def names(self) -> list[str]:
        """`default` first, then the collections of the data folder by name."""
        try:
            found = sorted(
                p.name
                for p in self.data_dir.iterdir()
                if PATTERN.fullmatch(p.name) and p.name != DEFAULT and (p / "queue.sqlite").is_file()
            )
        except FileNotFoundError:
            found = []
        return [DEFAULT, *found]

    def get(self, name: str) -> Collection:
        """The named collection, or UnknownCollection (404 `not_found`)."""
        if name == DEFAULT:
            return self.default
        if not isinstance(name, str) or not PATTERN.fullmatch(name):
            raise UnknownCollection(f"no collection named {name!r}")
        folder = self.data_dir / name
        if not (folder / "queue.sqlite").is_file():
            raise UnknownCollection(f"no collection named '{name}'; create it with POST /api/collections")
        return self._collection(name)

    def create(self, name: Any) -> Collection:
        """Make a new, empty collection: built aside and renamed into place, so it exists whole or not at all.

        Raises BadRequest for a bad name, CollectionExists (409 `exists`) when it is taken."""
        name = check_name(name)
        if name == DEFAULT:
            raise CollectionExists("the collection 'default' is the server's own index")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        target = self.data_dir / name
        if target.exists():
            raise CollectionExists(f"a collection named '{name}' exists")
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{name}-", dir=self.data_dir))
        try:
            (tmp / "corpus").mkdir()
            (tmp / "incoming").mkdir()
            DocumentQueue(tmp / "queue.sqlite").create()
            for path in (tmp / "corpus", tmp / "incoming", tmp):
                fsync(path)
            os.chmod(tmp, 0o755)  # mkdtemp's 0700 would hide it from an operator's other accounts
            try:
                os.rename(tmp, target)  # refused when the name was taken meanwhile (a non-empty folder)
            except OSError:
                raise CollectionExists(f"a collection named '{name}' exists") from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        fsync(self.data_dir)
        return self._collection(name)

    def _collection(self, name: str) -> Collection:
        folder = self.data_dir / name
        return Collection(name, folder / "corpus", folder / "index", folder)
