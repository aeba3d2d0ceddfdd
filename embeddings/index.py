"""A FAISS index directory that describes itself, verified on load.

Each build is one immutable version of an index root (`embeddings.versions` keeps the versions
and the pointer to the live one). Layout of a version directory:
    manifest.json    format version, model (id, fingerprint, dimension, prompts, cosine scale), counts, checksums
    vectors.faiss    inner-product index over L2-normalised float32 vectors
    records.jsonl    one JSON object per vector, in vector order (the caller's payload)
    ...              whatever else the caller writes through `extra` (a BM25 index, say)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np

from embeddings import versions

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
VECTORS = "vectors.faiss"
RECORDS = "records.jsonl"


class IndexUnavailable(RuntimeError):
    """The directory is missing, incomplete, corrupt or of another format."""


class ModelMismatch(IndexUnavailable):
    """The index was built with another model than the one asked for."""


@dataclass
class DenseIndex:
    """Vectors in FAISS plus their records and manifest."""

    faiss_index: Any
    records: list[dict[str, Any]]
    manifest: dict[str, Any]
    version: str | None = None

    @property
    def size(self) -> int:
        return int(self.faiss_index.ntotal)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k inner products for each query row: (scores, ids); ids are -1 past the end."""
        k = max(1, min(k, self.size))
        return self.faiss_index.search(np.ascontiguousarray(queries, dtype=np.float32), k)


@dataclass
class IndexFiles:
    """Every file of one version, read once and verified against the manifest's checksums.

    Parsers take these bytes and never open the paths again, so what was verified is what is
    used, even when the folder is pruned or tampered with after the check.
    """

    version: str
    directory: Path
    manifest: dict[str, Any]
    data: dict[str, bytes]

    def under(self, prefix: str) -> dict[str, bytes]:
        """The files below a sub-folder, by their names inside it."""
        return {name[len(prefix) + 1:]: blob for name, blob in self.data.items() if name.startswith(prefix + "/")}


def build(vectors: np.ndarray, records: list[dict[str, Any]], manifest: dict[str, Any]) -> DenseIndex:
    """Make an exact inner-product index (vectors must already be L2-normalised)."""
    import faiss

    if len(vectors) != len(records):
        raise ValueError(f"{len(vectors)} vectors for {len(records)} records")
    dim = int(vectors.shape[1]) if vectors.ndim == 2 and len(vectors) else int(manifest["model"]["dimension"])
    index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    full = {"format_version": FORMAT_VERSION, "count": len(records), **manifest}
    full["model"] = {**manifest.get("model", {}), "dimension": dim}
    return DenseIndex(index, records, full)


def write(index: DenseIndex, folder: str | Path, extra: Callable[[Path], None] | None = None) -> dict[str, Any]:
    """Write the index files, then a manifest with the sha256 of each, into a fresh folder.

    The folder is a version being built (`versions.publish`), so nobody reads it yet.
    """
    import faiss

    folder = Path(folder)
    faiss.write_index(index.faiss_index, str(folder / VECTORS))
    with open(folder / RECORDS, "w", encoding="utf-8") as fh:
        for record in index.records:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    if extra is not None:
        extra(folder)
    manifest = {
        **index.manifest,
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "files": {p.relative_to(folder).as_posix(): _sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()},
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    index.manifest = manifest
    return manifest


def save(index: DenseIndex, root: str | Path, extra: Callable[[Path], None] | None = None,
         keep: int = versions.DEFAULT_KEEP) -> versions.Version:
    """Publish the index as a new version of root and point root at it (the caller holds the build lock)."""
    published = versions.publish(root, lambda folder: write(index, folder, extra), keep=keep)
    index.version = published.name
    return published


def locate(directory: str | Path, version: str | None = None) -> versions.Version:
    """The live (or named) version of a root; a version folder or a flat older index is its own."""
    try:
        return versions.resolve(directory, version)
    except versions.NoVersion as exc:
        raise IndexUnavailable(str(exc)) from exc


def read_manifest(directory: str | Path, version: str | None = None) -> dict[str, Any]:
    """Read and check the live version's manifest (cheap: no vectors are loaded)."""
    folder = locate(directory, version).path
    try:
        raw = (folder / MANIFEST).read_bytes()
    except OSError:
        raise IndexUnavailable(f"no index at {directory} (missing {MANIFEST}); build one with `ragqa index`") from None
    return _parse_manifest(raw, folder)


def _parse_manifest(raw: bytes, folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except ValueError as exc:
        raise IndexUnavailable(f"index manifest {path} is unreadable ({exc}); rebuild with `ragqa index`") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("model"), dict):
        raise IndexUnavailable(f"index manifest {path} is malformed; rebuild with `ragqa index`")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexUnavailable(
            f"index at {folder} has format {manifest.get('format_version')}, this ragqa reads {FORMAT_VERSION}; "
            "rebuild it with `ragqa index`"
        )
    return manifest


def read_files(directory: str | Path, version: str | None = None) -> IndexFiles:
    """Read every file of the live (or named) version once, refusing any that fails its checksum."""
    where = locate(directory, version)
    folder = where.path
    try:
        raw = (folder / MANIFEST).read_bytes()
    except OSError:
        raise IndexUnavailable(f"no index at {directory} (missing {MANIFEST}); build one with `ragqa index`") from None
    manifest = _parse_manifest(raw, folder)
    listed = manifest.get("files")
    if not isinstance(listed, dict) or not {VECTORS, RECORDS} <= set(listed):
        raise IndexUnavailable(f"index manifest in {folder} lists no checksums for its files; rebuild with `ragqa index`")
    present = [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and _belongs(p, folder)]
    if any(name not in listed for name in present):
        raise IndexUnavailable(f"index at {folder} holds files its manifest does not list; rebuild with `ragqa index`")
    data: dict[str, bytes] = {}
    for name, digest in listed.items():
        blob = _read_inside(folder, name)
        if blob is None or hashlib.sha256(blob).hexdigest() != digest:
            raise IndexUnavailable(
                f"index file {folder / name} is missing or corrupt (checksum mismatch); rebuild with `ragqa index`")
        data[name] = blob
    return IndexFiles(where.name, folder, manifest, data)


def _read_inside(folder: Path, name: str) -> bytes | None:
    if not isinstance(name, str) or Path(name).is_absolute() or ".." in Path(name).parts:
        return None  # a manifest must not make the loader read outside its folder
    try:
        return (folder / name).read_bytes()
    except OSError:
        return None


def _belongs(path: Path, folder: Path) -> bool:
    """A file of the index itself: a flat older index may also hold the versioned layout's files."""
    top = path.relative_to(folder).parts[0]
    return path.name != MANIFEST and top not in versions.RESERVED and not top.startswith(".")


def from_files(files: IndexFiles, model_id: str | None = None, fingerprint: str | None = None) -> DenseIndex:
    """Build the searchable index from verified files, refusing one built with another model."""
    import faiss

    manifest = files.manifest
    check_model(manifest, model_id, fingerprint, files.directory)
    try:
        faiss_index = faiss.deserialize_index(np.frombuffer(files.data[VECTORS], dtype=np.uint8).copy())
        records = [json.loads(line) for line in files.data[RECORDS].decode("utf-8").splitlines() if line]
    except (RuntimeError, ValueError) as exc:
        raise IndexUnavailable(f"index at {files.directory} cannot be read ({exc}); rebuild with `ragqa index`") from exc
    if faiss_index.ntotal != len(records) or len(records) != manifest.get("count"):
        raise IndexUnavailable(
            f"index at {files.directory} is inconsistent ({faiss_index.ntotal} vectors, {len(records)} records)")
    return DenseIndex(faiss_index, records, manifest, files.version)


def load(directory: str | Path, model_id: str | None = None, fingerprint: str | None = None) -> DenseIndex:
    """Load the live version of a root (or a version folder), verifying its files and its model."""
    return from_files(read_files(directory), model_id, fingerprint)


def check_model(manifest: dict[str, Any], model_id: str | None, fingerprint: str | None, where: Path | str) -> None:
    """Refuse an index built with a different model than the one that will embed the questions."""
    built = manifest.get("model", {})
    if model_id is None:
        return
    same_id = built.get("id") == model_id
    same_weights = fingerprint is None or built.get("fingerprint") in (None, fingerprint)
    if not (same_id and same_weights):
        raise ModelMismatch(
            f"index at {where} was built with model '{built.get('id')}' but the configured model is '{model_id}'"
            f"; rebuild the index with `ragqa index --model {model_id}` or configure "
            f"RAGQA_MODEL={built.get('id')}"
        )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
