"""The Milvus side of the write contract (`qa.store.writer.VectorStore`): vectors in a collection.

A write inserts the rows embedded now into a new partition (`qa.store.milvus.Collection.append`) and
keeps the carried-over rows where they are, under the base version's ids; the version folder lists
its rows' ids and the partitions they are in. Nothing a write inserts is searched before the pointer
names the version that lists it, and `collect` deletes the rows and partitions no kept version lists
(a failed build's too), so a failure at any point leaves the live version as it was.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from qa.errors import IndexUnavailable, RagqaError
from qa.store import dense, jsonl, milvus
from qa.store.backend import MILVUS, LexicalSearch
from qa.store.files import IndexFiles
from qa.store.writer import Rows

T = TypeVar("T")


class MilvusStore:
    """Stages a version's rows in a root's Milvus collection.

    Args:
        uri: a Milvus Lite file or a server; a version opened through this store is reached here
            whatever address it was built with.
        collection: the root's collection (`qa.store.milvus.collection_name` unless configured).
        root: the index root, whose kept versions say which ids are taken and which rows are held.
        bm25: search an opened version's BM25 in Milvus where its collection has it.
    """

    kind = MILVUS

    def __init__(self, uri: str, collection: str, root: Path, bm25: bool = True) -> None:
        self.uri = milvus.normal_uri(uri)
        self.name = collection
        self.root = Path(root)
        self.bm25 = bm25
        self._base: milvus.MilvusDense | None = None
        self._collection: milvus.Collection | None = None
        self._has_bm25 = False
        self._dim: int | None = None
        self._records: list[dict[str, Any]] = []
        self._ids = np.zeros(0, dtype=np.int64)
        self._new: dict[str, list[int]] = {}  # partitions written here: name -> [first id, end id)

    def open(self, found: IndexFiles) -> milvus.MilvusDense:
        entry, records = _files(found)
        entry.uri = self.uri
        client = milvus.connect(entry.uri)
        try:
            client.load_collection(entry.collection)
        except Exception as exc:  # pymilvus' own family: a missing collection, an unreachable server
            raise IndexUnavailable(
                f"index at {found.directory} keeps its vectors in Milvus collection {entry.collection} at "
                f"{entry.uri}, which cannot be loaded ({milvus.first_line(exc)}); "
                "rebuild with `ragqa index --backend milvus`"
            ) from exc
        self._base = milvus.MilvusDense(client, entry, records, found.manifest, found.version)
        return self._base

    def lexical(self) -> LexicalSearch | None:
        return self._base.lexical() if self.bm25 and self._base is not None else None

    def records(self, found: IndexFiles) -> list[dict[str, Any]]:
        return _files(found)[1]

    def carries(self) -> str | None:
        return None if self._base is not None else "no version is open to carry rows from"

    def write(self, rows: Rows) -> None:
        rows.check()
        if (~rows.new).any() and self._base is None:
            raise ValueError("rows carried over without a base version to carry them from")
        self._dim = int(rows.new_vectors.shape[1])
        partition, span = self._refused(lambda: self._append(rows))
        ids = np.full(len(rows.records), -1, dtype=np.int64)
        ids[rows.new] = np.arange(span[0], span[1], dtype=np.int64)
        if self._base is not None:
            ids[~rows.new] = self._base.ids[rows.origin[~rows.new]]
        self._new[partition] = span
        self._records.extend(rows.records)
        self._ids = np.concatenate([self._ids, ids])

    def delete(self, documents: Collection[str]) -> int:
        keep = np.asarray([r.get("doc") not in documents for r in self._records], dtype=bool)
        self._records = [r for r, kept in zip(self._records, keep) if kept]
        self._ids = self._ids[keep]  # the rows stay in Milvus until no kept version lists them (`collect`)
        return int((~keep).sum())

    def count(self) -> int:
        return len(self._records)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        view = milvus.MilvusDense(milvus.connect(self.uri), self._entry(), self._records, {})
        return view.search(queries, k)

    def save(self, folder: Path, manifest: dict[str, Any]) -> dict[str, Any]:
        jsonl.write(folder / dense.RECORDS, self._records)
        np.save(folder / milvus.IDS, self._ids, allow_pickle=False)
        full = {**manifest, "count": len(self._records), "backend": self._entry().to_manifest()}
        dim = self._dim if self._dim is not None else manifest.get("model", {}).get("dimension")
        full["model"] = {**manifest.get("model", {}), "dimension": dim}
        return full

    def collect(self, root: Path) -> None:
        self._refused(lambda: self._open_collection().collect(milvus.kept_entries(root)))

    def _append(self, rows: Rows) -> tuple[str, list[int]]:
        collection = self._prepare(int(rows.new_vectors.shape[1]))
        kept = milvus.kept_entries(self.root)
        taken = [end for e in kept for _, end in e.partitions.values()] + [end for _, end in self._new.values()]
        docs = [r["doc"] for r, new in zip(rows.records, rows.new) if new]
        texts = [t for t, new in zip(rows.texts, rows.new) if new]
        return collection.append(rows.new_vectors, docs, texts, max(taken, default=0), self._has_bm25)

    def _prepare(self, dim: int) -> milvus.Collection:
        """The collection, created on the first write, with a failed build's partitions dropped."""
        if self._collection is None:
            collection = self._open_collection()
            self._has_bm25 = collection.ensure(dim)
            collection.collect(milvus.kept_entries(self.root))  # partitions of builds that failed before their switch
            self._collection = collection
        return self._collection

    def _open_collection(self) -> milvus.Collection:
        return self._collection or milvus.Collection(milvus.connect(self.uri), self.name)

    def _entry(self) -> milvus.Entry:
        """Where the staged rows are: the partitions written here, and the base's that hold any of them."""
        partitions = dict(self._new)
        if self._base is not None:
            for name, (start, end) in self._base.entry.partitions.items():
                if name not in partitions and ((self._ids >= start) & (self._ids < end)).any():
                    partitions[name] = [start, end]
        return milvus.Entry(self.uri, self.name, partitions, self._ids, self._has_bm25 or self._base_bm25())

    def _base_bm25(self) -> bool:
        return bool(self._base is not None and self._base.entry.bm25)

    def _refused(self, call: Callable[[], T]) -> T:
        """Run a call into Milvus, turning its failures into one line that says the live version stands."""
        try:
            return call()
        except RagqaError:
            raise
        except Exception as exc:
            if not type(exc).__module__.startswith(("pymilvus", "grpc", "milvus_lite")):
                raise
            raise IndexUnavailable(
                f"Milvus at {self.uri} refused the build ({milvus.first_line(exc)}); the live version is unchanged"
            ) from exc


def _files(found: IndexFiles) -> tuple[milvus.Entry, list[dict[str, Any]]]:
    """A Milvus version's local side: where its rows are, and its passages."""
    backend = found.manifest.get("backend") or {}
    try:
        ids = np.load(io.BytesIO(found.data[milvus.IDS]), allow_pickle=False)
        entry = milvus.Entry.from_manifest(backend, ids)
        records = jsonl.parse(found.data[dense.RECORDS])
    except (KeyError, ValueError, TypeError) as exc:
        raise IndexUnavailable(
            f"index at {found.directory} cannot be read ({exc}); rebuild with `ragqa index`"
        ) from exc
    if len(ids) != len(records) or len(records) != found.manifest.get("count"):
        raise IndexUnavailable(f"index at {found.directory} is inconsistent ({len(ids)} ids, {len(records)} records)")
    return entry, records
