"""A whole index version: written in one go by a build, opened in one go by the pipeline.

A version holds the dense vectors with their passages (`qa.store.dense`), BM25 over the same
passages (`qa.store.bm25`), the vectors of every passage sentence (`qa.store.sentences`) and
each document's content hash (`qa.store.catalog`, what `ragqa index --update` compares); its
manifest (`qa.store.files`) names the model and lists every file's checksum.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.errors import IndexUnavailable, RagqaError
from qa.store import bm25, catalog, dense, files, jsonl, milvus, sentences, versions
from qa.store.backend import FAISS, MILVUS, BackendSettings, LexicalSearch, VectorSearch

if TYPE_CHECKING:
    import bm25s


@dataclass
class StoredIndex:
    """One version of an index root, verified and opened: what the pipeline searches and reads."""

    directory: Path
    dense: VectorSearch  # qa.store.dense.DenseIndex (FAISS) or qa.store.milvus.MilvusDense
    bm25: bm25s.BM25
    sentence_vectors: dict[str, np.ndarray]  # sentence text -> its vector (empty for an index without them)
    documents: list[catalog.Entry] | None = None  # None: written before document hashes were kept
    lexical: LexicalSearch | None = None  # BM25 searched elsewhere than `bm25` (Milvus); None: `bm25`

    @property
    def version(self) -> str | None:
        return self.dense.version

    @property
    def manifest(self) -> dict[str, Any]:
        return self.dense.manifest

    @property
    def records(self) -> list[dict[str, Any]]:
        return self.dense.records

    @property
    def backend(self) -> str:
        return str((self.manifest.get("backend") or {}).get("kind", FAISS))

    def exact_vectors(self) -> np.ndarray | None:
        """Every stored vector as embedded, from a flat FAISS index; None where only approximations
        (or nothing: Milvus keeps its own) are at hand."""
        import faiss

        if not isinstance(self.dense, dense.DenseIndex):
            return None
        index = faiss.downcast_index(self.dense.faiss_index)
        if isinstance(index, faiss.IndexHNSWFlat):
            index = faiss.downcast_index(index.storage)  # the graph's vectors, kept as embedded
        if not isinstance(index, faiss.IndexFlat):
            return None
        return np.asarray(index.reconstruct_n(0, index.ntotal), dtype=np.float32)


def open_index(
    found: files.IndexFiles,
    model_id: str | None = None,
    fingerprint: str | None = None,
    milvus_uri: str | None = None,
    milvus_bm25: bool = True,
) -> StoredIndex:
    """Open verified files (`files.read_files`), refusing an index built with another model.

    Args:
        milvus_uri: reach a Milvus version's collection at this address instead of the one it was built with.
        milvus_bm25: search a Milvus version's BM25 in Milvus where its collection has it (else the local one).
    """
    vectors = _open_vectors(found, model_id, fingerprint, milvus_uri)
    lexical = vectors.lexical() if milvus_bm25 and isinstance(vectors, milvus.MilvusDense) else None
    bm25_index, known, documents = _open_local(found, vectors.records)
    return StoredIndex(found.directory, vectors, bm25_index, known, documents, lexical)


def verify(folder: Path) -> None:
    """Read a version folder back as `open_index` would, short of the model and a Milvus collection:
    every checksum, the passages (and FAISS vectors), BM25, the sentence vectors and the document list.

    Raises IndexUnavailable naming what cannot be read. A build runs it before it publishes a version,
    so a server never meets one the build itself could not read.
    """
    found = files.read_files(folder)
    if (found.manifest.get("backend") or {"kind": FAISS}).get("kind") == FAISS:
        records = _open_vectors(found, None, None, None).records
    else:
        records = _milvus_files(found)[1]
    _open_local(found, records)


def _open_local(
    found: files.IndexFiles, records: list[dict[str, Any]]
) -> tuple[bm25s.BM25, dict[str, np.ndarray], list[catalog.Entry] | None]:
    """A version's BM25, sentence vectors and document list, from its verified files."""
    try:
        bm25_index = bm25.load(found.under(bm25.DIR))
    except (OSError, ValueError, KeyError) as exc:
        raise IndexUnavailable(
            f"index at {found.directory} cannot be read ({exc}); rebuild with `ragqa index`"
        ) from exc
    try:
        known = sentences.load(found.data.get(sentences.FILE), [r["text"] for r in records])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexUnavailable(
            f"index at {found.directory} has unreadable sentence vectors ({exc}); rebuild with `ragqa index`"
        ) from exc
    try:
        documents = catalog.load(found.data.get(catalog.FILE))
    except (ValueError, TypeError) as exc:
        raise IndexUnavailable(
            f"index at {found.directory} has an unreadable document list ({exc}); rebuild with `ragqa index`"
        ) from exc
    return bm25_index, known, documents


def save_index(
    root: str | Path,
    vectors: np.ndarray,
    records: list[dict[str, Any]],
    manifest: dict[str, Any],
    lexical: bm25s.BM25,
    sentence_vectors: np.ndarray,
    keep: int = versions.DEFAULT_KEEP,
    documents: Sequence[catalog.Entry] | None = None,
) -> versions.Version:
    """Publish a new version of root from its parts and point root at it (the caller holds the build lock).

    Args:
        documents: every document's content hash and passage count, in passage order (`qa.store.catalog`).
    """
    built = dense.build(vectors, records, manifest)

    def extra(folder: Path) -> None:
        bm25.save(lexical, folder)
        sentences.save(sentence_vectors, folder)
        if documents is not None:
            catalog.save(documents, folder)

    return dense.save(built, root, extra=extra, keep=keep, verify=verify)


def _open_vectors(
    found: files.IndexFiles, model_id: str | None, fingerprint: str | None, milvus_uri: str | None
) -> VectorSearch:
    backend = found.manifest.get("backend") or {"kind": FAISS}
    if backend.get("kind") == FAISS:
        if dense.VECTORS not in found.data:
            raise IndexUnavailable(f"index at {found.directory} has no {dense.VECTORS}; rebuild with `ragqa index`")
        return dense.from_files(found, model_id, fingerprint)
    if backend.get("kind") != MILVUS:
        raise IndexUnavailable(f"index at {found.directory} keeps its vectors in '{backend.get('kind')}', unknown here")
    files.check_model(found.manifest, model_id, fingerprint, found.directory)
    entry, records = _milvus_files(found)
    if milvus_uri:
        entry.uri = milvus.normal_uri(milvus_uri)
    client = milvus.connect(entry.uri)
    try:
        client.load_collection(entry.collection)
    except Exception as exc:  # pymilvus' own family: a missing collection, an unreachable server
        raise IndexUnavailable(
            f"index at {found.directory} keeps its vectors in Milvus collection {entry.collection} at {entry.uri}, "
            f"which cannot be loaded ({milvus.first_line(exc)}); rebuild with `ragqa index --backend milvus`"
        ) from exc
    return milvus.MilvusDense(client, entry, records, found.manifest, found.version)


def _milvus_files(found: files.IndexFiles) -> tuple[milvus.Entry, list[dict[str, Any]]]:
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


@dataclass
class Rows:
    """The passages of a version about to be written, each embedded now or carried over from the live one."""

    records: list[dict[str, Any]]
    texts: list[str]  # what was embedded, per record (Milvus' BM25 indexes it too)
    origin: np.ndarray  # per record: its row in the live version, or -1 when embedded now
    new_vectors: np.ndarray  # the vectors of the records with origin -1, in record order


def save_rows(
    root: str | Path,
    rows: Rows,
    live: StoredIndex | None,
    settings: BackendSettings,
    manifest: dict[str, Any],
    lexical: bm25s.BM25,
    sentence_vectors: np.ndarray,
    documents: Sequence[catalog.Entry],
    keep: int = versions.DEFAULT_KEEP,
) -> versions.Version:
    """Publish a new version in the configured backend, carrying rows over from `live` where `origin` says
    (the caller holds the build lock, and checked that `live` is of the same backend when it carries rows)."""
    if settings.kind == FAISS:
        carried = live.exact_vectors() if live is not None else None
        vectors = rows.new_vectors
        if (rows.origin >= 0).any():
            assert carried is not None, "rows carried over from a version without exact vectors"
            vectors = np.zeros((len(rows.records), rows.new_vectors.shape[1]), dtype=np.float32)
            vectors[rows.origin >= 0] = carried[rows.origin[rows.origin >= 0]]
            vectors[rows.origin < 0] = rows.new_vectors
        return save_index(root, vectors, rows.records, manifest, lexical, sentence_vectors, keep, documents)
    try:
        return _save_milvus(root, rows, live, settings, manifest, lexical, sentence_vectors, documents, keep)
    except RagqaError:
        raise
    except Exception as exc:
        if not type(exc).__module__.startswith(("pymilvus", "grpc", "milvus_lite")):
            raise
        # The live version is untouched: its pointer moves only after every row is in Milvus.
        raise IndexUnavailable(
            f"Milvus at {settings.milvus_uri} refused the build ({milvus.first_line(exc)}); "
            "the live version is unchanged"
        ) from exc


def _save_milvus(
    root: str | Path,
    rows: Rows,
    live: StoredIndex | None,
    settings: BackendSettings,
    manifest: dict[str, Any],
    lexical: bm25s.BM25,
    sentence_vectors: np.ndarray,
    documents: Sequence[catalog.Entry],
    keep: int,
) -> versions.Version:
    uri = milvus.normal_uri(settings.milvus_uri or "")
    name = settings.collection or milvus.collection_name(root)
    collection = milvus.Collection(milvus.connect(uri), name)
    dim = int(rows.new_vectors.shape[1])
    has_bm25 = collection.ensure(dim)
    collection.collect(milvus.kept_entries(root))  # partitions of builds that failed before their switch
    kept = milvus.kept_entries(root)
    first = max((end for e in kept for _, end in e.partitions.values()), default=0)
    fresh = rows.origin < 0
    docs = [r["doc"] for r, new in zip(rows.records, fresh) if new]
    texts = [t for t, new in zip(rows.texts, fresh) if new]
    partition, span = collection.append(rows.new_vectors, docs, texts, first, has_bm25)
    ids = np.full(len(rows.records), -1, dtype=np.int64)
    ids[fresh] = np.arange(span[0], span[1], dtype=np.int64)
    partitions = {partition: span}
    if live is not None and isinstance(live.dense, milvus.MilvusDense) and (~fresh).any():
        ids[~fresh] = live.dense.ids[rows.origin[~fresh]]
        held = ids[~fresh]
        for part, (start, end) in live.dense.entry.partitions.items():
            if ((held >= start) & (held < end)).any():
                partitions[part] = [start, end]
    entry = milvus.Entry(uri, name, partitions, ids, has_bm25)
    full = {**manifest, "count": len(rows.records), "backend": entry.to_manifest()}
    full["model"] = {**manifest.get("model", {}), "dimension": dim}

    def write_files(folder: Path) -> None:
        jsonl.write(folder / dense.RECORDS, rows.records)
        np.save(folder / milvus.IDS, ids, allow_pickle=False)
        bm25.save(lexical, folder)
        sentences.save(sentence_vectors, folder)
        catalog.save(documents, folder)

    published = versions.publish(root, lambda folder: _write(folder, full, write_files), keep=keep, verify=verify)
    collection.collect(milvus.kept_entries(root))  # rows and partitions of versions just pruned
    return published


def _write(folder: Path, manifest: dict[str, Any], write_files: Callable[[Path], None]) -> None:
    files.write(folder, manifest, write_files)
