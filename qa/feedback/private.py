"""Owner-only files for feedback: its folder, the database, and the key that signs served answers.

Anyone who can read the database reads what users wrote; anyone who can read the key can sign an
answer the server never gave and have it exported as gold. So both are created readable by their
owner only (0600, in a folder made 0700), and an existing one that others could read is tightened,
with a warning. The key lives in its own file, not in the database: signing an answer then never
waits on the database's lock, and a database copied for analysis does not carry the key with it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import stat
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

KEY_BYTES = 32
_OTHERS = stat.S_IRWXG | stat.S_IRWXO


def private_folder(folder: Path) -> None:
    """Create `folder` and its missing parents as 0700; a folder that exists is left as it is."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir(mode=0o700, exist_ok=True)


def private_file(path: Path, what: str) -> None:
    """Make sure `path` exists and only its owner may read it: created 0600, or tightened to 0600."""
    private_folder(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        tighten(path, what)


def tighten(path: Path, what: str) -> None:
    """Take group and other access away from an existing file, saying so: what it held may have been read."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    if not mode & _OTHERS:
        return
    try:
        path.chmod(stat.S_IMODE(mode) & ~_OTHERS)
    except OSError as exc:  # not ours to change: the operator must
        log.warning("%s %s is readable by other users (mode %o) and cannot be tightened: %s", what, path, mode, exc)
        return
    log.warning(
        "%s %s was readable by other users (mode %o); it is now owner-only. Whatever it held may have been read",
        what,
        path,
        stat.S_IMODE(mode),
    )


def signing_key(path: Path) -> bytes:
    """The key in `path` (hex text), made on first use; every worker and restart reads the same one.

    Raises OSError when the file cannot be made or read, ValueError when it holds no key.
    """
    private_folder(path.parent)
    if not path.exists():
        _create_key(path)
    tighten(path, "the feedback signing key")
    text = path.read_text(encoding="ascii").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < KEY_BYTES:
        raise ValueError(f"{path} does not hold a key of {2 * KEY_BYTES} hex digits; delete it to make a new one")
    return key


def _create_key(path: Path) -> None:
    # Written whole under a temporary name (mkstemp makes it 0600), then linked into place: a link
    # never replaces a file, so when two workers start at once the first key linked is everyone's,
    # and no reader ever sees a half-written key.
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="ascii") as out:
            out.write(secrets.token_hex(KEY_BYTES) + "\n")
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):  # another worker's key is in place: it is everyone's
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
