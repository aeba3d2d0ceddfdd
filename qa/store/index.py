"""A whole index version: written in one go by a build, opened in one go by the pipeline.

A version holds the dense vectors with their passages (`qa.store.dense`), BM25 over the same
passages (`qa.store.bm25`), the vectors of every passage sentence (`qa.store.sentences`) and
each document's content hash (`qa.store.catalog`, what `ragqa index --update` compares); its
manifest (`qa.store.files`) names the model and lists every file's checksum.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.errors import IndexUnavailable
from qa.store import bm25, catalog, dense, files, sentences, versions

if TYPE_CHECKING:
    import bm25s


@dataclass
class StoredIndex:
    """One version of an index root, verified and opened: what the pipeline searches and reads."""

    directory: Path
    dense: dense.DenseIndex
    bm25: bm25s.BM25
    sentence_vectors: dict[str, np.ndarray]  # sentence text -> its vector (empty for an index without them)
    documents: list[catalog.Entry] | None = None  # None: written before document hashes were kept

    @property
    def version(self) -> str | None:
        return self.dense.version

    @property
    def manifest(self) -> dict[str, Any]:
        return self.dense.manifest

    @property
    def records(self) -> list[dict[str, Any]]:
        return self.dense.records


def open_index(found: files.IndexFiles, model_id: str | None = None, fingerprint: str | None = None) -> StoredIndex:
    """Open verified files (`files.read_files`), refusing an index built with another model."""
    vectors = dense.from_files(found, model_id, fingerprint)
    try:
        lexical = bm25.load(found.under(bm25.DIR))
    except (OSError, ValueError, KeyError) as exc:
        raise IndexUnavailable(
            f"index at {found.directory} cannot be read ({exc}); rebuild with `ragqa index`"
        ) from exc
    try:
        known = sentences.load(found.data.get(sentences.FILE), [r["text"] for r in vectors.records])
    except (OSError, ValueError) as exc:
        raise IndexUnavailable(
            f"index at {found.directory} has unreadable sentence vectors ({exc}); rebuild with `ragqa index`"
        ) from exc
    try:
        documents = catalog.load(found.data.get(catalog.FILE))
    except (ValueError, TypeError) as exc:
        raise IndexUnavailable(
            f"index at {found.directory} has an unreadable document list ({exc}); rebuild with `ragqa index`"
        ) from exc
    return StoredIndex(found.directory, vectors, lexical, known, documents)


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

    return dense.save(built, root, extra=extra, keep=keep)
