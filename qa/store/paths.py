"""What is inside an index folder: the one rule for names read from a manifest.

A manifest is data on disk, and anyone who can write it can put any name in it; the loader reads
the files it lists and a build deletes an older layout's files by the same list. Both ask here, so
neither can be made to read or delete anything outside the folder.
"""

from __future__ import annotations

from pathlib import Path


def inside(folder: str | Path, name: object) -> Path | None:
    """The path of `name` (a relative, "/"-separated name from a manifest) in folder, or None when it
    would leave it: an absolute name, "..", an empty part, or a symbolic link that points out."""
    if not isinstance(name, str) or "\x00" in name:
        return None
    parts = name.split("/")
    if any(part in ("", ".", "..") for part in parts):  # also an absolute name: its first part is ""
        return None
    folder = Path(folder)
    path = folder.joinpath(*parts)
    try:
        real_folder = folder.resolve()
        real = path.resolve()
    except (OSError, RuntimeError):  # a link loop
        return None
    if real == real_folder or real_folder not in real.parents:
        return None
    return path
