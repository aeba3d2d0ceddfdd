"""Publish a new version of an index root: the one write path of full builds and updates alike.

The store stages the version's rows (`qa.store.writer.VectorStore.write`): an update's store was
opened on the live version, so its unchanged rows are carried over; a full build's was opened on
nothing, and every row is new (a build is an update of nothing). Then the version folder is written
around them (passages, BM25, sentence vectors, document list, checksummed manifest), read back as a
server would, and switched to atomically (`qa.store.versions.publish`); only then does the store
release what no kept version holds. The caller holds the root's build lock.
"""

from __future__ import annotations

from pathlib import Path

from qa.store import bm25, catalog, files, sentences, versions
from qa.store.writer import Rows, VectorStore, VersionParts


def publish(
    root: str | Path, rows: Rows, parts: VersionParts, store: VectorStore, keep: int = versions.DEFAULT_KEEP
) -> versions.Version:
    """Write `rows` through `store` and everything else of the version beside them, then make it live.

    Args:
        store: where the vectors go (`qa.store.factory.store`), opened on the live version when
            `rows` carry rows over from it.
        keep: versions to keep (the live one always stays); older ones are pruned after the switch.
    """
    from qa.store.index import verify

    store.write(rows)

    def write(folder: Path) -> None:
        manifest = store.save(folder, parts.manifest)

        def write_rest(inside: Path) -> None:
            bm25.save(parts.lexical, inside)
            sentences.save(parts.sentence_vectors, inside)
            if parts.documents is not None:
                catalog.save(parts.documents, inside)

        files.write(folder, manifest, write_rest)

    published = versions.publish(root, write, keep=keep, verify=verify)
    store.collect(Path(root))
    return published
