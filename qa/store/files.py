"""One version folder of an index, read once and verified, or written with a checksummed manifest.

Layout of a version folder:
    manifest.json    format version, model (id, fingerprint, dimension, prompts, cosine scale), counts, checksums;
                     with chunking, sentences and backend it holds the index's spec (`qa.store.spec`)
    vectors.faiss    the dense index (`qa.store.dense`), or milvus_ids.npy: its rows in Milvus (`qa.store.milvus`)
    records.jsonl    one passage a line, in vector order
    bm25/            the lexical index (`qa.store.bm25`)
    sentences.npy    every passage sentence's vector (`qa.store.sentences`)
    documents.jsonl  each document's content hash and passage count (`qa.store.catalog`)
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from qa.errors import IndexUnavailable
from qa.store import paths, versions
from qa.store.spec import IndexSpec

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
REQUIRED = ("records.jsonl",)  # what every version holds; its vectors are in FAISS or Milvus (qa.store.backend)


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
        return {name[len(prefix) + 1 :]: blob for name, blob in self.data.items() if name.startswith(prefix + "/")}


def write(folder: Path, manifest: dict[str, Any], write_files: Callable[[Path], None]) -> dict[str, Any]:
    """Write the files with `write_files(folder)`, then a manifest with the sha256 of each.

    The folder is a version being built (`versions.publish`), so nobody reads it yet.
    """
    write_files(folder)
    full = {
        **manifest,
        "format_version": FORMAT_VERSION,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": {p.relative_to(folder).as_posix(): _sha256(p) for p in sorted(folder.rglob("*")) if p.is_file()},
    }
    text = json.dumps(full, ensure_ascii=False, indent=2)
    try:
        blob = text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError(f"the index manifest holds text that cannot be written as UTF-8 ({exc.reason})") from None
    (folder / MANIFEST).write_bytes(blob)
    return full


def locate(directory: str | Path, version: str | None = None) -> versions.Version:
    """The live (or named) version of a root; a version folder or a flat older index is its own."""
    return versions.resolve(directory, version)


def read_manifest(directory: str | Path, version: str | None = None) -> dict[str, Any]:
    """Read and check the live version's manifest (cheap: no vectors are loaded)."""
    folder = locate(directory, version).path
    try:
        raw = (folder / MANIFEST).read_bytes()
    except OSError:
        raise IndexUnavailable(f"no index at {directory} (missing {MANIFEST}); build one with `ragqa index`") from None
    return _parse_manifest(raw, folder)


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
    if not isinstance(listed, dict) or not set(REQUIRED) <= set(listed):
        raise IndexUnavailable(
            f"index manifest in {folder} lists no checksums for its files; rebuild with `ragqa index`"
        )
    present = [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and _belongs(p, folder)]
    if any(name not in listed for name in present):
        raise IndexUnavailable(f"index at {folder} holds files its manifest does not list; rebuild with `ragqa index`")
    data: dict[str, bytes] = {}
    for name, digest in listed.items():
        blob = _read_inside(folder, name)
        if blob is None or hashlib.sha256(blob).hexdigest() != digest:
            raise IndexUnavailable(
                f"index file {folder / name} is missing or corrupt (checksum mismatch); rebuild with `ragqa index`"
            )
        data[name] = blob
    return IndexFiles(where.name, folder, manifest, data)


def check_model(manifest: dict[str, Any], model_id: str | None, fingerprint: str | None, where: Path | str) -> None:
    """Refuse an index built with a different model than the one that will embed the questions.

    Only the model is asked about (`IndexSpec.mismatch`): questions may use another engine than the
    passages did, take the index's prompts, and never split passages. None for model_id checks
    nothing; None for fingerprint (no model loaded yet, as in `ragqa serve`) checks the id alone.
    """
    if model_id is None:
        return
    built = IndexSpec.from_manifest(manifest)
    reason = IndexSpec(model_id=model_id, fingerprint=fingerprint).mismatch(built)
    if reason is None:
        return
    configure = f" or configure RAGQA_MODEL={built.model_id}" if built.model_id != model_id else ""
    raise IndexUnavailable(
        f"index at {where} does not fit the configured model '{model_id}': {reason}"
        f"; rebuild the index with `ragqa index --model {model_id}`{configure}",
        code="model_mismatch",
    )


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


def _read_inside(folder: Path, name: str) -> bytes | None:
    path = paths.inside(folder, name)
    if path is None:
        return None  # a manifest must not make the loader read outside its folder
    try:
        return path.read_bytes()
    except OSError:
        return None


def _belongs(path: Path, folder: Path) -> bool:
    """A file of the index itself: a flat older index may also hold the versioned layout's files."""
    top = path.relative_to(folder).parts[0]
    return path.name != MANIFEST and top not in versions.RESERVED and not top.startswith(".")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
