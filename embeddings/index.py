"""A FAISS index directory that describes itself, written atomically.

Layout of an index directory:
    manifest.json    format version, model (id, fingerprint, dimension, prompts, cosine scale), counts, checksums
    vectors.faiss    inner-product index over L2-normalised float32 vectors
    records.jsonl    one JSON object per vector, in vector order (the caller's payload)
    ...              whatever else the caller writes through `extra` (a BM25 index, say)
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np

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

    @property
    def size(self) -> int:
        return int(self.faiss_index.ntotal)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k inner products for each query row: (scores, ids); ids are -1 past the end."""
        k = max(1, min(k, self.size))
        return self.faiss_index.search(np.ascontiguousarray(queries, dtype=np.float32), k)


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


def save(index: DenseIndex, target: str | Path, extra: Callable[[Path], None] | None = None) -> Path:
    """Write the directory beside target, then swap it into place, so readers never see half an index."""
    import faiss

    target = Path(target).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))
    try:
        faiss.write_index(index.faiss_index, str(tmp / VECTORS))
        with open(tmp / RECORDS, "w", encoding="utf-8") as fh:
            for record in index.records:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
        if extra is not None:
            extra(tmp)
        manifest = {
            **index.manifest,
            "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "files": {p.relative_to(tmp).as_posix(): _sha256(p) for p in sorted(tmp.rglob("*")) if p.is_file()},
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        _fsync_tree(tmp)
        _swap_into_place(tmp, target)
        index.manifest = manifest
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def _swap_into_place(tmp: Path, target: Path) -> None:
    if not target.exists():
        os.rename(tmp, target)
        _fsync(target.parent)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
    os.rename(target, old / "index")
    try:
        os.rename(tmp, target)
    except BaseException:
        os.rename(old / "index", target)  # put the previous index back before giving up
        raise
    finally:
        _fsync(target.parent)
    shutil.rmtree(old, ignore_errors=True)


def _fsync(path: Path) -> None:
    """Flush a file's or a directory's entry to disk (a directory's, so a rename survives a crash)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_manifest(directory: str | Path) -> dict[str, Any]:
    """Read and check an index directory's manifest (cheap: no vectors are loaded)."""
    path = Path(directory) / MANIFEST
    if not path.is_file():
        raise IndexUnavailable(f"no index at {directory} (missing {MANIFEST}); build one with `ragqa index`")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexUnavailable(f"index manifest {path} is unreadable ({exc}); rebuild with `ragqa index`") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("model"), dict):
        raise IndexUnavailable(f"index manifest {path} is malformed; rebuild with `ragqa index`")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexUnavailable(
            f"index at {directory} has format {manifest.get('format_version')}, this ragqa reads {FORMAT_VERSION}; "
            "rebuild it with `ragqa index`"
        )
    return manifest


def load(directory: str | Path, model_id: str | None = None, fingerprint: str | None = None) -> DenseIndex:
    """Load an index directory, verifying its files and that it was built with the given model."""
    import faiss

    directory = Path(directory)
    manifest = read_manifest(directory)
    check_model(manifest, model_id, fingerprint, directory)
    files = manifest.get("files")
    if not isinstance(files, dict) or not {VECTORS, RECORDS} <= set(files):
        raise IndexUnavailable(f"index manifest in {directory} lists no checksums for its files; rebuild with `ragqa index`")
    listed = set(files)
    unlisted = [p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file() and p.name != MANIFEST]
    if any(name not in listed for name in unlisted):
        raise IndexUnavailable(f"index at {directory} holds files its manifest does not list; rebuild with `ragqa index`")
    for name, digest in files.items():
        path = directory / name
        if not path.is_file() or _sha256(path) != digest:
            raise IndexUnavailable(f"index file {path} is missing or corrupt (checksum mismatch); rebuild with `ragqa index`")
    try:
        faiss_index = faiss.read_index(str(directory / VECTORS))
        records = [json.loads(line) for line in (directory / RECORDS).read_text(encoding="utf-8").splitlines() if line]
    except (OSError, RuntimeError, ValueError) as exc:
        raise IndexUnavailable(f"index at {directory} cannot be read ({exc}); rebuild with `ragqa index`") from exc
    if faiss_index.ntotal != len(records) or len(records) != manifest.get("count"):
        raise IndexUnavailable(f"index at {directory} is inconsistent ({faiss_index.ntotal} vectors, {len(records)} records)")
    return DenseIndex(faiss_index, records, manifest)


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


def _fsync_tree(root: Path) -> None:
    for path in [*sorted(root.rglob("*")), root]:
        _fsync(path)
