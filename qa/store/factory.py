"""Which store holds a version's vectors: the one place that turns a backend's kind into a store."""

from __future__ import annotations

from pathlib import Path

from qa.errors import IndexUnavailable
from qa.store.backend import FAISS, MILVUS, BackendSettings
from qa.store.files import IndexFiles
from qa.store.writer import VectorStore


def store(settings: BackendSettings, root: str | Path) -> VectorStore:
    """A store writing the next version of root where the settings say (checked first)."""
    settings.check()
    if settings.kind == MILVUS:
        from qa.store import milvus
        from qa.store.milvus_store import MilvusStore

        name = settings.collection or milvus.collection_name(root)
        return MilvusStore(settings.milvus_uri or "", name, Path(root), bm25=settings.milvus_bm25)
    from qa.store.faiss_store import FaissStore

    return FaissStore()


def reader(found: IndexFiles, milvus_uri: str | None = None, milvus_bm25: bool = True) -> VectorStore:
    """A store that opens this version, as its manifest says where its vectors are.

    Args:
        milvus_uri: reach a Milvus version's collection at this address instead of the one it was built with.
        milvus_bm25: search a Milvus version's BM25 in Milvus where its collection has it.
    """
    backend = found.manifest.get("backend") or {"kind": FAISS}
    kind = backend.get("kind")
    if kind == FAISS:
        from qa.store import dense

        if dense.VECTORS not in found.data:
            raise IndexUnavailable(f"index at {found.directory} has no {dense.VECTORS}; rebuild with `ragqa index`")
        return store(BackendSettings(FAISS), _root(found))
    if kind != MILVUS:
        raise IndexUnavailable(f"index at {found.directory} keeps its vectors in '{kind}', unknown here")
    uri, collection = milvus_uri or backend.get("uri"), backend.get("collection")
    if not isinstance(uri, str) or not isinstance(collection, str):
        raise IndexUnavailable(f"index at {found.directory} does not say where its Milvus rows are; rebuild it")
    return store(BackendSettings(MILVUS, uri, collection, milvus_bm25), _root(found))


def _root(found: IndexFiles) -> Path:
    """The index root a version folder belongs to (`qa.store.versions`): a legacy flat index is its own."""
    from qa.store import versions

    folder = Path(found.directory)
    return folder.parent.parent if folder.parent.name == versions.VERSIONS else folder
