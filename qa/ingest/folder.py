"""The files of a corpus folder: each regular file under it, found and opened without following links.

A corpus folder is often shared or synced, and whoever can put a link in it must not be able to
make the index (and so every answer) carry a file from elsewhere: `passwd.txt -> /etc/passwd`.
So links are never followed. A link that leads outside the folder is skipped with that reason; a
link to a file inside it is skipped too, because its target is read under its own name, once. A
linked folder is not entered, which also keeps a link to a parent from looping.

The walk keeps its own stack instead of recursing, so a tree thousands of folders deep is read,
not ended by a RecursionError. Files are opened with O_NOFOLLOW and checked to be regular files
of at most `max_bytes` on the open descriptor: a file swapped for a link after the walk is
refused, a FIFO never blocks the build, and a huge file is skipped before it is read.

A folder may carry fields for its files in `.ragqa-fields.json` (hidden, so never read as a document):
`{"<relative path>": {"field": scalar, ...}}`, written by collections managed over HTTP (fields given
at upload, `qa.collections`) or by hand; the corpus reader adds them to each file's documents. An
update (`ragqa index --update`) carries a file whose bytes did not change over with the fields it
had; a full build reads new fields for every file (the collection writer asks for one when they change).
"""

from __future__ import annotations

import json
import math
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from qa.ingest.documents import Scalar
from qa.ingest.readers.reader import Skip
from qa.store.versions import fsync

FIELDS = ".ragqa-fields.json"
FIELDS_MAX_BYTES = 16 * 2**20  # a few hundred bytes a file: room for tens of thousands of files


@dataclass
class Listing:
    files: list[str] = field(default_factory=list)  # paths relative to the root, posix, in a stable order
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (relative path, why)


def list_files(root: Path) -> Listing:
    """Every visible regular file under root; links and unreadable folders are listed as skipped.

    Hidden files and folders (a name starting with ".": .git, .DS_Store) are passed over silently.
    """
    real_root = os.path.realpath(root)
    listing = Listing()
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        try:
            with os.scandir(os.path.join(root, rel_dir) if rel_dir else root) as entries:
                found = list(entries)
        except OSError as exc:
            listing.skipped.append((rel_dir or ".", f"folder cannot be read ({exc.strerror or exc})"))
            continue
        for entry in found:
            if entry.name.startswith("."):
                continue
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if entry.is_symlink():
                listing.skipped.append((rel, _link_reason(entry.path, real_root)))
            elif entry.is_dir(follow_symlinks=False):
                stack.append(rel)
            elif entry.is_file(follow_symlinks=False):
                listing.files.append(rel)
            else:
                listing.skipped.append((rel, "not a regular file (a device, socket or pipe)"))
    listing.files.sort(key=PurePosixPath)  # the order `sorted(root.rglob("*"))` gave: corpus checksums stay
    listing.skipped.sort(key=lambda item: PurePosixPath(item[0]))
    return listing


def read_file(root: Path, rel: str, max_bytes: int) -> bytes:
    """The bytes of one listed file; raises Skip when it became a link, is not a regular file or is too big."""
    try:
        fd = os.open(root / rel, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == getattr(os, "ELOOP", 40):  # O_NOFOLLOW on a link
            raise Skip("a link (links are not followed)") from None
        raise Skip(f"cannot be read ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise Skip("not a regular file (a device, socket or pipe)")
        if info.st_size > max_bytes:
            raise Skip(
                f"{info.st_size / 2**20:.1f} MB is over the {max_bytes / 2**20:.3g} MB limit for one file; "
                "split it, or raise RAGQA_MAX_FILE_MB"
            )
        data = fh.read(max_bytes + 1)  # a file that grew since fstat is still bounded
    if len(data) > max_bytes:
        raise Skip(f"grew past the {max_bytes / 2**20:.3g} MB limit for one file while it was read")
    return data


def _link_reason(path: str, real_root: str) -> str:
    target = os.path.realpath(path)
    if target != real_root and not target.startswith(real_root.rstrip(os.sep) + os.sep):
        return "a link that leads outside the corpus folder (links are not followed)"
    if not os.path.exists(target):
        return "a broken link"
    where = os.path.relpath(target, real_root).replace(os.sep, "/")
    if any(part.startswith(".") for part in where.split("/")):
        return "a link to a hidden file or folder (links are not followed)"
    return f"a link to {where}, which is read under its own name (links are not followed)"


def read_fields(root: Path) -> tuple[dict[str, dict[str, Scalar]], bytes]:
    """The fields file's fields by relative path (scalars only; other values dropped) and its bytes, for
    the corpus checksum; ({}, b"") without one. Raises Skip saying why a file that is there cannot be used."""
    if not os.path.lexists(root / FIELDS):
        return {}, b""
    raw = read_file(root, FIELDS, FIELDS_MAX_BYTES)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise Skip(f"not valid JSON ({exc}); its fields are not used") from None
    if not isinstance(data, dict):
        raise Skip('not a JSON object of {"path": {"field": value}}; its fields are not used')
    fields = {
        path: {k: v for k, v in own.items() if isinstance(k, str) and _scalar(v)}
        for path, own in data.items()
        if isinstance(own, dict)
    }
    return fields, raw


def write_fields(root: Path, fields: dict[str, dict[str, Scalar]]) -> None:
    """Replace the folder's fields file (none when `fields` is empty) by a rename, flushed to disk."""
    target = root / FIELDS
    if not fields:
        target.unlink(missing_ok=True)
        return
    tmp = root / f"{FIELDS}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(dict(sorted(fields.items())), fh, ensure_ascii=False, indent=1, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    fsync(root)


def _scalar(value: object) -> bool:
    return isinstance(value, (str, bool, int)) or (isinstance(value, float) and math.isfinite(value))
