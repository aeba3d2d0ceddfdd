"""`ragqa index --ray` without the [ray] extra says what to install, in one line, before loading a model."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from qa.cli import main


def test_ray_without_its_extra_names_the_install_command(
    runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # as if not installed
    result = runner.invoke(main, ["index", "--ray", "--index", str(tmp_path / "index")])
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "pip install -e '.[ray]'" in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "index").exists()  # refused before any work
