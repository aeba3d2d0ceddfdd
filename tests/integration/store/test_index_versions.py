"""The index root under real processes: a second `ragqa index` refused while one builds, and a builder
killed at any point leaving a complete live version (toy indexes from tests/unit/store/test_versions.py)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qa.cli import main
from qa.errors import IndexBusy
from qa.store import files, versions
from tests.helpers import ROOT
from tests.unit.store.test_versions import load, publish


def test_a_second_build_is_refused_while_one_runs(tmp_path: Path, runner, corpus_dir: Path) -> None:
    root = tmp_path / "index"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from qa.store import versions\n"
            "with versions.build_lock(sys.argv[1]):\n    print('held', flush=True); time.sleep(60)",
            str(root),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        assert f"pid {holder.pid}" in (versions.busy(root) or "")
        result = runner.invoke(main, ["index", "--corpus", str(corpus_dir), "--index", str(root)])
        assert result.exit_code != 0 and "Traceback" not in result.output
        line = result.output.strip()
        assert line.startswith("Error:") and "another `ragqa index`" in line and "\n" not in line
        with pytest.raises(IndexBusy), versions.build_lock(root):
            pass
    finally:
        holder.kill()
        holder.wait()
    assert versions.busy(root) is None  # a killed holder leaves no stale lock behind


_SLOW_BUILDER = """
import sys, time
import numpy as np
from qa.store import dense as dense_index, versions
root = sys.argv[1]
vectors = np.eye(8, dtype=np.float32)
built = dense_index.build(vectors, [{"text": str(n)} for n in range(8)], {"model": {"id": "toy"}})
def extra(folder):
    for n in range(40):  # many small files written slowly: kills land in every phase
        (folder / f"part{n}.bin").write_bytes(bytes(1000))
        time.sleep(0.005)
real_switch = versions._switch
def slow_switch(root, name):
    time.sleep(0.05)
    real_switch(root, name)
versions._switch = slow_switch
with versions.build_lock(root):
    print("started", flush=True)
    dense_index.save(built, root, extra=extra, keep=2)
"""


def test_a_builder_killed_at_any_point_leaves_a_complete_live_version(tmp_path: Path) -> None:
    root = tmp_path / "index"
    publish(root, tag="good")
    rng = random.Random(7)
    switched = 0
    for _ in range(8):
        before = versions.pointer(root)
        proc = subprocess.Popen(
            [sys.executable, "-c", _SLOW_BUILDER, str(root)], stdout=subprocess.PIPE, text=True, cwd=ROOT
        )
        assert proc.stdout.readline().strip() == "started"
        time.sleep(rng.uniform(0, 0.4))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        after = versions.pointer(root)
        switched += after != before
        loaded = load(root)  # verifies every checksum of whatever the pointer names
        assert loaded.version == after and loaded.size in (8, 16)
    assert versions.busy(root) is None
    for name in versions.names(
        root
    ):  # every version left, live or not, is complete (a killed prune leaves none half-deleted)
        files.read_files(root, name)
    assert len(versions.names(root)) <= 3
    assert switched < 8  # some kills landed before the switch (and left the old version live)
