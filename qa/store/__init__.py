"""The on-disk index: a root of immutable checksummed versions of FAISS vectors, passages, BM25, sentence vectors."""

from qa.store.files import IndexFiles, check_model, read_files, read_manifest
from qa.store.index import StoredIndex, open_index, save_index

__all__ = ["IndexFiles", "StoredIndex", "check_model", "open_index", "read_files", "read_manifest", "save_index"]
