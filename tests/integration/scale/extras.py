"""The optional engines these tests need: under CI (CI=true) a missing one fails the test, elsewhere it skips."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


def need(module: str, extra: str) -> ModuleType:
    try:
        return importlib.import_module(module)
    except ImportError:
        message = f"'{module}' is not installed: pip install -e '.[{extra}]'"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{message} (CI installs every extra: make setup)")
        pytest.skip(message)
