"""`ragqa serve` exports missing ONNX graphs in a child process before its workers start (web.exports):
which graphs are missing is read from the index and the model folders, never by loading a model."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from qa.cli import main
from qa.config import Settings
from tests.helpers import ROOT
from web.exports import export_first, missing_graphs


def _recorder(calls: list[list[str]]) -> Any:
    def run(command: list[str], check: bool) -> SimpleNamespace:
        calls.append(command)
        return SimpleNamespace(returncode=0)

    return run


def test_a_graph_never_exported_is_exported_before_the_workers_start(tmp_path: Path) -> None:
    reader = tmp_path / "reader-retrained"
    shutil.copytree(ROOT / "models" / "reader-e5-small", reader)
    meta = json.loads((reader / "reader.json").read_text(encoding="utf-8"))
    meta["settings"]["threshold"] = 0.5  # other weights or settings: another graph
    (reader / "reader.json").write_text(json.dumps(meta), encoding="utf-8")
    settings = Settings(reader_dir=str(reader))
    missing, _ = missing_graphs(str(tmp_path / "no-index-yet"), None, settings)
    assert [p.parent.name.startswith("reader-reader-retrained-") for p in missing] == [True]
    calls: list[list[str]] = []
    assert export_first(str(tmp_path / "no-index-yet"), None, settings, run=_recorder(calls))
    [command] = calls
    assert command[:5] == [sys.executable, "-m", "qa", "model", "export"]
    assert command[command.index("--reader") + 1] == str(reader)
    assert command[command.index("--reader-inference") + 1] == "onnx-int8"


def test_nothing_runs_when_every_graph_is_there(runner, pipeline) -> None:
    assert runner.invoke(main, ["model", "export"]).exit_code == 0
    calls: list[list[str]] = []
    assert not export_first(str(pipeline.index_dir), None, Settings(), run=_recorder(calls))
    assert calls == []
