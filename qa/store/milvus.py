"""Vectors in a Milvus collection: Milvus Lite (a local file) in tests, the same code against a cluster.

One collection per index root, one partition per build or update (`g<n>`), rows keyed by an int64
id. A version lists the ids of its passages (`milvus_ids.npy`, in record order) and the partitions
they are in (manifest `backend.partitions`, each with its id range), and searches only those
partitions, leaving out the ids there that it no longer holds. So an update only adds one partition
with the new and changed documents' rows; the live version never sees rows it does not list, and
a build that fails part-way leaves an unlisted partition that the next build drops. Once versions
are pruned, rows no kept version lists are deleted (the deleted and the replaced documents) and
partitions none lists are dropped.

The collection also holds each passage's text with a BM25 function over Milvus' jieba analyzer
(full-text search), where the server supports it; see docs/scale.md for where it is used.

A filtered question (`qa.retrieval.selection`) adds the candidate rows' ids to the boolean expression
both searches take (`MilvusDense.where`): the metadata stays in the version folder, matched there.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qa.store import files, versions
from qa.store.backend import MILVUS, require

IDS = "milvus_ids.npy"
PARTITION_PREFIX = "g"
BATCH = 512  # rows per insert call: well under the gRPC message limit for 1024-d vectors and 400-char texts
_MAX_TEXT = 65535  # bytes, Milvus' VARCHAR limit


def collection_name(root: str | Path) -> str:
    """A collection per index root, so two roots on one Milvus never share rows."""
    digest = hashlib.sha256(str(Path(root).resolve()).encode()).hexdigest()[:12]
    return f"ragqa_{digest}"


def normal_uri(uri: str) -> str:
    """A Milvus Lite file as an absolute path (servers reading the manifest may run elsewhere); a server as given."""
    return uri if "://" in uri else str(Path(uri).expanduser().resolve())


# One client per address and process: Milvus Lite locks its file for the first process that opens
# it, and a second client in the same process would only open a second connection to the same data.
_clients: dict[str, Any] = {}


def connect(uri: str) -> Any:
    pymilvus = require("pymilvus", "milvus", "the milvus backend")
    uri = normal_uri(uri)
    if uri not in _clients:
        try:
            _clients[uri] = pymilvus.MilvusClient(uri)
        except Exception as exc:  # pymilvus raises its own exception family for every connection failure
            from qa.errors import IndexUnavailable

            raise IndexUnavailable(f"cannot reach Milvus at {uri} ({first_line(exc)})") from exc
    return _clients[uri]


def first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [exc.__class__.__name__])[0][:300]


@dataclass
class Entry:
    """What a version's manifest says about its Milvus rows (`backend`), and its ids."""

    uri: str
    collection: str
    partitions: dict[str, list[int]]  # name -> [first id, end id)
    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    bm25: bool = False  # whether the collection has Milvus' own BM25 over the passages

    def to_manifest(self) -> dict[str, Any]:
        return {
            "kind": MILVUS,
            "uri": self.uri,
            "collection": self.collection,
            "partitions": self.partitions,
            "bm25": self.bm25,
        }

    @classmethod
    def from_manifest(cls, data: dict[str, Any], ids: np.ndarray) -> Entry:
        partitions = {str(k): [int(v[0]), int(v[1])] for k, v in dict(data["partitions"]).items()}
        return cls(str(data["uri"]), str(data["collection"]), partitions, ids, bool(data.get("bm25")))

    def excluded(self) -> list[int]:
        """Ids in this version's partitions that it no longer holds (deleted or replaced since)."""
        held = set(self.ids.tolist())
        return [i for start, end in self.partitions.values() for i in range(start, end) if i not in held]


class Collection:
    """The root's collection: created on first use, one partition appended per build."""

    def __init__(self, client: Any, name: str) -> None:
        self.client = client
        self.name = name

    def ensure(self, dim: int) -> bool:
        """Create the collection if it is missing; return whether it has Milvus' BM25."""
        if not self.client.has_collection(self.name):
            try:
                self._create(dim, bm25=True)
            except Exception:  # a server without full-text search or the jieba analyzer
                self._create(dim, bm25=False)
        self.client.load_collection(self.name)
        described = self.client.describe_collection(self.name)
        return any(f.get("name") == "sparse" for f in described.get("fields", []))

    def _create(self, dim: int, bm25: bool) -> None:
        from pymilvus import DataType, Function, FunctionType

        schema = self.client.create_schema(auto_id=False)
        schema.add_field("id", DataType.INT64, is_primary=True)
        schema.add_field("doc", DataType.VARCHAR, max_length=_MAX_TEXT)
        schema.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
        index = self.client.prepare_index_params()
        # FLAT: exact inner product, the same neighbours as the FAISS backend (the cluster may choose HNSW).
        index.add_index("dense", index_type="FLAT", metric_type="IP")
        if bm25:
            schema.add_field(
                "text",
                DataType.VARCHAR,
                max_length=_MAX_TEXT,
                enable_analyzer=True,
                analyzer_params={"tokenizer": "jieba"},
            )
            schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
            schema.add_function(
                Function(
                    name="bm25",
                    function_type=FunctionType.BM25,
                    input_field_names=["text"],
                    output_field_names=["sparse"],
                )
            )
            index.add_index("sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
        self.client.create_collection(self.name, schema=schema, index_params=index, consistency_level="Strong")

    def partitions(self) -> list[str]:
        return [p for p in self.client.list_partitions(self.name) if p.startswith(PARTITION_PREFIX)]

    def append(
        self, vectors: np.ndarray, docs: Sequence[str], texts: Sequence[str], first_id: int, bm25: bool
    ) -> tuple[str, list[int]]:
        """Insert rows into a new partition; return its name and its [first, end) id range."""
        numbers = [int(p[len(PARTITION_PREFIX) :]) for p in self.partitions() if p[len(PARTITION_PREFIX) :].isdigit()]
        name = f"{PARTITION_PREFIX}{max(numbers, default=0) + 1}"
        self.client.create_partition(self.name, name)
        for start in range(0, len(vectors), BATCH):
            rows = []
            for n in range(start, min(start + BATCH, len(vectors))):
                row: dict[str, Any] = {"id": first_id + n, "doc": docs[n], "dense": vectors[n].tolist()}
                if bm25:
                    row["text"] = texts[n]
                rows.append(row)
            self.client.insert(self.name, rows, partition_name=name)
        self.client.flush(self.name)
        self.client.load_collection(self.name)  # loads the new partition too (Milvus Lite loads no single partition)
        return name, [first_id, first_id + len(vectors)]

    def collect(self, kept: Iterable[Entry]) -> None:
        """Drop partitions no kept version lists; delete the rows in the others that none holds."""
        kept = list(kept)
        listed = {name: rng for e in kept for name, rng in e.partitions.items()}
        held: set[int] = set()
        for entry in kept:
            held.update(entry.ids.tolist())
        for name in self.partitions():
            if name not in listed:
                self._drop(name)
                continue
            start, end = listed[name]
            gone = [i for i in range(start, end) if i not in held]
            for at in range(0, len(gone), 10_000):
                self.client.delete(self.name, ids=gone[at : at + 10_000], partition_name=name)

    def _drop(self, partition: str) -> None:
        """Drop a partition no version searches: a cluster releases just it, Milvus Lite only the
        whole collection (one process uses a Lite file, so nobody is searching it meanwhile)."""
        try:
            self.client.release_partitions(self.name, [partition])
        except Exception:  # Lite: "partition-level load is not supported"
            self.client.release_collection(self.name)
        self.client.drop_partition(self.name, partition)
        self.client.load_collection(self.name)


def kept_entries(root: str | Path) -> list[Entry]:
    """The Milvus entries of the versions kept under root (read straight from their folders)."""
    out = []
    for name in versions.names(root):
        folder = Path(root) / versions.VERSIONS / name
        try:
            manifest = json.loads((folder / files.MANIFEST).read_text(encoding="utf-8"))
            backend = manifest.get("backend") or {}
            if backend.get("kind") == MILVUS:
                out.append(Entry.from_manifest(backend, np.load(folder / IDS, allow_pickle=False)))
        except (OSError, ValueError, KeyError):
            continue  # an unreadable version cannot be loaded either; its rows are not worth keeping
    return out


@dataclass
class MilvusDense:
    """A version's dense side searched in Milvus: the same interface as `qa.store.dense.DenseIndex`."""

    client: Any
    entry: Entry
    records: list[dict[str, Any]]
    manifest: dict[str, Any]
    version: str | None = None

    def __post_init__(self) -> None:
        self._rows = {int(i): row for row, i in enumerate(self.entry.ids.tolist())}
        excluded = self.entry.excluded()
        self.filter = f"id not in {excluded}" if excluded else ""

    @property
    def size(self) -> int:
        return len(self.records)

    @property
    def ids(self) -> np.ndarray:
        return self.entry.ids

    def row(self, milvus_id: int) -> int:
        """The record row of a Milvus id, -1 for a row this version does not hold."""
        return self._rows.get(milvus_id, -1)

    def lexical(self) -> MilvusBM25 | None:
        """Milvus' own BM25 over this version's rows, where the collection has it."""
        return MilvusBM25(self) if self.entry.bm25 else None

    def where(self, rows: np.ndarray | None) -> str:
        """The boolean expression limiting a search to this version's rows, and to `rows` of them where given."""
        if rows is None:
            return self.filter
        chosen = f"id in {self.entry.ids[rows].tolist()}"
        return f"({self.filter}) and {chosen}" if self.filter else chosen

    def search(self, queries: np.ndarray, k: int, rows: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        k = max(1, min(k, self.size))
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        where = self.where(rows)
        found_rows = np.full((len(queries), k), -1, dtype=np.int64)
        if not len(queries) or not self.size:
            return scores, found_rows
        found = self.client.search(
            self.entry.collection,
            data=[np.asarray(q, dtype=np.float32).tolist() for q in queries],
            anns_field="dense",
            limit=k,
            filter=where,
            partition_names=list(self.entry.partitions),
            output_fields=["id"],
            search_params={"metric_type": "IP"},
        )
        for q, hits in enumerate(found):
            for rank, hit in enumerate(hits[:k]):
                found_rows[q, rank] = self._rows.get(int(hit["id"]), -1)
                scores[q, rank] = float(hit["distance"])
        return scores, found_rows


@dataclass
class MilvusBM25:
    """BM25 through Milvus' full-text search (its jieba analyzer) over the same rows a `MilvusDense` sees."""

    dense: MilvusDense

    def search(
        self, questions: Sequence[str], depth: int, rows: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        where = self.dense.where(rows)
        found_rows = np.zeros((len(questions), depth), dtype=np.int64)
        scores = np.zeros((len(questions), depth), dtype=np.float32)
        if not len(questions) or not self.dense.size:
            return found_rows, scores
        found = self.dense.client.search(
            self.dense.entry.collection,
            data=list(questions),
            anns_field="sparse",
            limit=depth,
            filter=where,
            partition_names=list(self.dense.entry.partitions),
            output_fields=["id"],
            search_params={"metric_type": "BM25"},
        )
        for q, hits in enumerate(found):
            for rank, hit in enumerate(hits[:depth]):
                row = self.dense.row(int(hit["id"]))
                if row >= 0:
                    found_rows[q, rank] = row
                    # Milvus Lite reports a BM25 score as a negative distance, a server as the score itself.
                    scores[q, rank] = abs(float(hit["distance"]))
        return found_rows, scores
