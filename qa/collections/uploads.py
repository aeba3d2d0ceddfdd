"""What an upload must be before it is accepted: a safe name, a kind the indexer reads, within the limits.

A name comes from the client, so it is cut to its last part and cleaned until it cannot name
anything outside the collection's folder (no separators, no "..", no leading dot, which the
corpus reader would also pass over as hidden). A file's kind is checked by its ending and by its
content: the ending must be one the indexer reads (`qa.ingest.readers`), a binary format's bytes
must be of that format (a `.pdf` that is a ZIP is refused), and a text format's bytes must be
UTF-8 text. Bytes are written under a temporary name, flushed, renamed and the folder flushed
(`stage`) before the queue row that acknowledges them is committed.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from qa.errors import BadRequest, RagqaError
from qa.ingest import metadata as document_metadata
from qa.ingest.readers import READERS, Skip, looks_like
from qa.ingest.readers.text import decode
from qa.store.versions import fsync

if TYPE_CHECKING:
    from qa.config import Settings

MAX_NAME_BYTES = 200  # a file system allows 255 bytes a name; room for a suffix added by hand
MAX_FIELDS = 32
MAX_FIELD_CHARS = 1000
MAX_METADATA_BYTES = 16 * 1024
FORM_SLACK = 64 * 1024  # multipart boundaries, headers and the metadata field beside the files
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")


class UnsupportedUpload(RagqaError):
    status = 415
    code = "unsupported_type"


class UploadTooLarge(RagqaError):
    status = 413
    code = "file_too_large"


@dataclass(frozen=True)
class UploadLimits:
    """How much one upload request may carry: bytes a file and files a request."""

    max_file_bytes: int = 20 * 2**20
    max_files: int = 20

    @property
    def request_bytes(self) -> int:
        """The most a whole request may be: every file at its limit and the form around them."""
        return self.max_files * self.max_file_bytes + FORM_SLACK

    @classmethod
    def from_settings(cls, settings: Settings, max_files: int | None = None) -> UploadLimits:
        """A file as large as the indexer reads (RAGQA_MAX_FILE_MB), `max_files` a request."""
        return cls(settings.max_file_bytes, max_files or cls.max_files)


def safe_name(raw: object) -> str:
    """A file name that stays inside the folder it is written to, from whatever the client sent.

    Raises BadRequest (`invalid_file_name`) when nothing usable is left."""
    if not isinstance(raw, str):
        raise BadRequest("each file needs a name", code="invalid_file_name")
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").split("/")[-1]
    name = _UNSAFE.sub("_", name).strip().lstrip(".").strip()
    while len(name.encode("utf-8")) > MAX_NAME_BYTES:  # cut the stem, keep the ending the kind is read from
        stem, suffix = os.path.splitext(name)
        name = stem[:-1] + suffix
        if not stem:
            break
    if not name or name in (".", "..") or not PurePosixPath(name).stem:
        raise BadRequest(f"the file name {raw!r} has nothing usable in it; rename the file", code="invalid_file_name")
    return name


def suffixes() -> dict[str, str]:
    """Each ending the indexer reads, and the name of the reader that reads it."""
    return {suffix: reader.name for reader in READERS for suffix in reader.suffixes}


def check_upload(name: str, data: bytes, limits: UploadLimits) -> str:
    """The reader kind of a file the indexer can read; raises UploadTooLarge (413) or UnsupportedUpload (415)."""
    if len(data) > limits.max_file_bytes:
        raise UploadTooLarge(
            f"{name} is {len(data) / 2**20:.1f} MB; the limit for one file is {limits.max_file_bytes / 2**20:.3g} MB"
        )
    if not data:
        raise UnsupportedUpload(f"{name} is empty (0 bytes)")
    suffix = PurePosixPath(name).suffix.lower()
    kind = suffixes().get(suffix)
    if kind is None:
        known = ", ".join(sorted(suffixes()))
        raise UnsupportedUpload(f"{name}: the indexer does not read {suffix or 'files without an ending'} ({known})")
    sniffed = next((reader for reader in READERS if reader.binary and reader.sniff(data)), None)
    if sniffed is not None and sniffed.name != kind:
        raise UnsupportedUpload(f"{name} is named {suffix} but its content is a {sniffed.name} file; rename it")
    binary = next(reader.binary for reader in READERS if reader.name == kind)
    if binary and sniffed is None:
        raise UnsupportedUpload(f"{name} is named {suffix} but its content is not a {kind} file ({looks_like(data)})")
    if not binary:
        try:
            text = decode(data)
        except Skip as exc:
            raise UnsupportedUpload(f"{name}: {exc}") from None
        if "\x00" in text:
            raise UnsupportedUpload(f"{name} is named {suffix} but holds binary data ({looks_like(data)})")
    return kind


def check_metadata(raw: object) -> dict[str, Any]:
    """Upload metadata: a JSON object (or its text) of at most MAX_FIELDS scalar fields; {} for none.

    Raises BadRequest (`invalid_metadata`) saying what is wrong."""
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        if len(raw.encode("utf-8", "surrogatepass")) > MAX_METADATA_BYTES:
            raise _bad(f"metadata is over {MAX_METADATA_BYTES // 1024} KB")
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise _bad(f"metadata is not valid JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise _bad('metadata must be a JSON object like {"department": "legal", "year": 2024}')
    if len(raw) > MAX_FIELDS:
        raise _bad(f"metadata has {len(raw)} fields; the limit is {MAX_FIELDS}")
    for key, value in raw.items():
        if not _FIELD_NAME.fullmatch(key):
            raise _bad(f"metadata field {key!r}: a name is a letter or '_', then letters, digits, '_', '.' or '-'")
        if key in document_metadata.BUILT_IN:
            raise _bad(f"metadata field {key!r} is built in (set from the file itself); choose another name")
        if not (isinstance(value, (str, bool, int)) or (isinstance(value, float) and math.isfinite(value))):
            raise _bad(f"metadata field {key!r} must be a string, a number or a boolean")
        if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
            raise _bad(f"metadata field {key!r} is over {MAX_FIELD_CHARS} characters")
    return dict(raw)


def stage(folder: Path, data: bytes) -> tuple[str, str]:
    """Write bytes into folder for good: a temporary name, flushed, renamed, the folder flushed.

    Returns (the staged name, the bytes' sha256). Only after this may an upload be acknowledged."""
    folder.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(12)
    tmp = folder / f".tmp-{name}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.rename(tmp, folder / name)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync(folder)
    return name, hashlib.sha256(data).hexdigest()


def _bad(message: str) -> BadRequest:
    return BadRequest(message, code="invalid_metadata")
