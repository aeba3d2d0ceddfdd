"""A whole index version: written in one go by a build, opened in one go by the pipeline.

A version holds the dense vectors with their passages (`qa.store.dense`), BM25 over the same
passages (`qa.store.bm25`), the vectors of every passage sentence (`qa.store.sentences`) and
each document's content hash (`qa.store.catalog`, what `ragqa index --update` compares); its
manifest (`qa.store.files`) names the model and lists every file's checksum. Where the vectors
are is the store's to say (`qa.store.factory`); a version is written by `qa.store.publish`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.errors import IndexUnavailable
from qa.store import bm25, catalog, factory, faiss_store, files, sentences, versions
from qa.store.backend import FAISS, LexicalSearch, VectorSearch
from qa.store.faiss_store import FaissStore
from qa.store.publish import publish
from qa.store.writer import Rows, VectorStore, VersionParts

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
    store: VectorStore | None = None  # the store that opened `dense`: an update writes through it

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
        return faiss_store.exact_vectors(self.dense)


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
    store = factory.reader(found, milvus_uri, milvus_bm25)
    files.check_model(found.manifest, model_id, fingerprint, found.directory)
    vectors = store.open(found)
    bm25_index, known, documents = _open_local(found, vectors.records)
    return StoredIndex(found.directory, vectors, bm25_index, known, documents, store.lexical(), store)


def verify(folder: Path) -> None:
    """Read a version folder back as `open_index` would, short of the model and a Milvus collection:
    every checksum, the passages (and FAISS vectors), BM25, the sentence vectors and the document list.

    Raises IndexUnavailable naming what cannot be read. A build runs it before it publishes a version,
    so a server never meets one the build itself could not read.
    """
    found = files.read_files(folder)
    _open_local(found, factory.reader(found).records(found))


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
    """Publish a new FAISS version of root from its parts and point root at it (the caller holds the build lock).

    Args:
        documents: every document's content hash and passage count, in passage order (`qa.store.catalog`).
    """
    texts = [str(r.get("text", "")) for r in records]
    parts = VersionParts(manifest, lexical, sentence_vectors, documents)
    return publish(root, Rows.fresh(records, texts, vectors), parts, FaissStore(), keep=keep)
