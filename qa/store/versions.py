"""A versioned index root: immutable version directories and an atomically switched pointer.

Layout of an index root:
    CURRENT              the name of the live version (replaced by rename, never edited in place)
    versions/<name>/     one complete index directory per build (see `qa.store.files`)
    versions/.tmp-*      a build in progress, or one killed part-way (removed by the next build)
    .lock                held (flock) by the one `ragqa index` allowed to build here at a time

A build writes a new version beside the live one, fsyncs it, reads it back as a server would,
renames it into `versions/`, then renames a new CURRENT over the old: a reader sees the old
version or the new one, never half of either, a build killed at any point leaves CURRENT naming
the old, complete version, and a version the build itself cannot read is never switched to.
A root written by older ragqa (a flat index directory with its manifest at the top) is read as
the single version "legacy".
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from qa.errors import IndexBusy, IndexUnavailable
from qa.store import paths

POINTER = "CURRENT"
VERSIONS = "versions"
LOCK = ".lock"
LEGACY = "legacy"
TMP_PREFIX = ".tmp-"
DEFAULT_KEEP = 3
# Names in a root that are not part of a legacy (flat) index.
RESERVED = {POINTER, VERSIONS, LOCK, POINTER + ".tmp"}


@dataclass(frozen=True)
class Version:
    name: str
    path: Path


def pointer(root: str | Path) -> str | None:
    """The live version's name as the pointer says (one small read), or None without a pointer."""
    try:
        # utf-8-sig and strip(): a pointer rewritten by hand (an editor's BOM, CRLF) still names its version.
        return (Path(root) / POINTER).read_text(encoding="utf-8-sig").strip() or None
    except FileNotFoundError:
        return None


def resolve(root: str | Path, name: str | None = None) -> Version:
    """The live version (or the named one) of a root; a flat directory of older ragqa is "legacy"."""
    root = Path(root)
    name = name or pointer(root)
    if name is None:
        if (root / "manifest.json").is_file():
            return Version(LEGACY, root)
        raise IndexUnavailable(f"no index at {root}; build one with `ragqa index`")
    if name == LEGACY:
        return Version(LEGACY, root)
    path = root / VERSIONS / name
    if "/" in name or name.startswith(".") or not path.is_dir():
        raise IndexUnavailable(
            f"index at {root} names version '{name}' in {POINTER}, which is not there; rebuild with `ragqa index`"
        )
    return Version(name, path)


def names(root: str | Path) -> list[str]:
    """Complete versions, oldest first (names sort by build time)."""
    folder = Path(root) / VERSIONS
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


@contextmanager
def build_lock(root: str | Path) -> Iterator[None]:
    """Hold the root's build lock, or refuse at once when another build holds it."""
    root = Path(root)
    created = not root.exists()
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise IndexBusy(
                f"another `ragqa index` (pid {holder}) is building {root}; wait for it to finish, then run again"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        if created and [p.name for p in root.iterdir()] == [LOCK]:
            # A first build that wrote nothing (an empty corpus, or `busy`'s look) leaves no folder behind.
            os.unlink(root / LOCK)
            os.rmdir(root)
        os.close(fd)  # closing releases the lock, also when the process is killed


def busy(root: str | Path) -> str | None:
    """Why a build of root cannot start now (another holds the lock), or None; a cheap early check."""
    try:
        with build_lock(root):
            return None
    except IndexBusy as exc:
        return str(exc)
    except OSError:
        return None  # an unwritable root is reported by the build itself


def publish(
    root: str | Path,
    write: Callable[[Path], None],
    keep: int = DEFAULT_KEEP,
    verify: Callable[[Path], None] | None = None,
) -> Version:
    """Write a new version with `write(folder)` beside the live one, then switch the pointer to it.

    The caller must hold `build_lock(root)`. Leftovers of killed builds are removed first, and
    versions past the newest `keep` are pruned after the switch.

    Args:
        verify: reads the written folder back as a server would, raising IndexUnavailable when it
            cannot; the pointer never moves to a version that fails it.
    """
    root = Path(root)
    folder = root / VERSIONS
    folder.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(folder)
    tmp = Path(tempfile.mkdtemp(prefix=TMP_PREFIX, dir=folder))
    try:
        write(tmp)
        _fsync_tree(tmp)
        if verify is not None:
            _verify(tmp, verify)
        name = _new_name()
        os.rename(tmp, folder / name)
        fsync(folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _switch(root, name)
    prune(root, keep)
    return Version(name, folder / name)


def prune(root: str | Path, keep: int = DEFAULT_KEEP) -> list[str]:
    """Delete all but the newest `keep` versions (never the live one); return the names deleted."""
    root = Path(root)
    live = pointer(root)
    doomed = [n for n in names(root)[: -max(1, keep)] if n != live]
    for name in doomed:
        # Renamed out of sight first: a prune killed half-way leaves a leftover, never a half version.
        trash = root / VERSIONS / f"{TMP_PREFIX}pruned-{name}"
        os.rename(root / VERSIONS / name, trash)
        shutil.rmtree(trash, ignore_errors=True)
    if live is not None:
        _remove_legacy(root)
    return doomed


def _new_name() -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{stamp}-{secrets.token_hex(3)}"


def _switch(root: Path, name: str) -> None:
    tmp = root / (POINTER + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.rename(tmp, root / POINTER)
    fsync(root)


def _remove_leftovers(folder: Path) -> None:
    for path in folder.iterdir():
        if path.name.startswith(TMP_PREFIX):
            shutil.rmtree(path, ignore_errors=True)


def _verify(folder: Path, verify: Callable[[Path], None]) -> None:
    try:
        verify(folder)
    except IndexUnavailable as exc:
        raise IndexUnavailable(
            f"the new version could not be read back, so it was not published: {exc.message}"
            "; the live version is unchanged"
        ) from exc


def _remove_legacy(root: Path) -> None:
    """Drop the flat index of older ragqa once a version has replaced it: only the files its manifest lists,
    and only inside root (the manifest is data anyone could have written)."""
    manifest = root / "manifest.json"
    try:
        listed = json.loads(manifest.read_text(encoding="utf-8")).get("files") or {}
    except (OSError, ValueError, AttributeError):
        return
    for name in listed:
        path = paths.inside(root, name)
        if path is None or name.split("/")[0] in RESERVED or path.is_symlink() or not path.is_file():
            continue
        path.unlink()
        parent = path.parent
        while parent != root and not parent.is_symlink() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
    manifest.unlink(missing_ok=True)


def fsync(path: str | Path) -> None:
    """Flush a file's or a directory's entry to disk (a directory's, so a rename survives a crash)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for path in [*sorted(root.rglob("*")), root]:
        fsync(path)
