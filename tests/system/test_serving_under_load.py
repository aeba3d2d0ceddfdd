"""A real `ragqa serve` (2 gunicorn workers) under short bursts of load from a client pool.

Short versions of bench/load.py and bench/rebuild_while_serving.py: seconds, not minutes, so
they run in CI; the figures in docs/reliability.md come from the long runs.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import threading
import time
from pathlib import Path

import pytest

from qa.store import versions
from tests.helpers import ROOT
from web.server_process import get_json, running_server

BENCH = ROOT / "bench"


def _bench(name: str):  # bench/ is scripts, not a package: load the module by path
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


load = _bench("load")


@pytest.fixture(scope="module")
def live_root(index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("served") / "index"
    shutil.copytree(index_dir, root)
    return root


@pytest.fixture(scope="module")
def base(live_root: Path, tmp_path_factory: pytest.TempPathFactory):
    """Two workers with a queue wait long enough that a few clients are never turned away."""
    log = tmp_path_factory.mktemp("serve-log") / "server.log"
    with running_server(live_root, log, "--workers", "2", "--queue-wait", "60", "--reload-interval", "0.5") as url:
        yield url


@pytest.fixture(scope="module")
def tight(index_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    """One worker with room for one queued question: overload on any machine, however fast.

    The queue wait is long, so every 429 comes from the full queue, not from waiting out the time.
    """
    log = tmp_path_factory.mktemp("tight-log") / "server.log"
    with running_server(
        index_dir, log, "--workers", "1", "--threads", "8", "--queue-depth", "1", "--queue-wait", "30"
    ) as url:
        yield url


def copy_version(root: Path, name: str, flip: bool = False) -> str:
    """Publish a copy of the live version under a new name, as `ragqa index` does (rename in, then switch)."""
    tmp = root / versions.VERSIONS / f"{versions.TMP_PREFIX}{name}"
    shutil.copytree(versions.resolve(root).path, tmp)
    if flip:
        blob = bytearray((tmp / "records.jsonl").read_bytes())
        blob[5] ^= 0x20
        (tmp / "records.jsonl").write_bytes(bytes(blob))
    tmp.rename(root / versions.VERSIONS / name)
    versions._switch(root, name)
    return name


def test_few_clients_are_all_answered(base: str) -> None:
    summary = load.hammer(base, clients=4, seconds=4).summary()
    assert summary["requests"] > 0 and set(summary["statuses"]) == {"200"}, summary


def test_overload_is_answered_429_with_retry_after_never_5xx(tight: str) -> None:
    base = tight
    report = load.hammer(base, clients=32, seconds=5)
    summary = report.summary()
    assert summary["server_errors"] == 0 and summary["no_answer"] == 0, summary
    assert set(summary["statuses"]) <= {"200", "429"} and "429" in summary["statuses"], summary
    assert all(o.retry_after == "1" for o in report.outcomes if o.status == 429)
    # Turned away at once, not after the 30 s wait, and the few that get in wait for at most one question.
    assert summary["p95_429_ms"] < 10_000 and summary["p95_ms"] < 10_000, summary
    assert summary["healthz"]["probes"] > 0 and summary["healthz"]["ok"] == summary["healthz"]["probes"], summary
    assert get_json(base + "/readyz")[0] == 200  # no worker hung
    assert load.ask(base, "福建三峡海上风电国际产业园占地多少亩？").status == 200


def test_a_new_version_reaches_every_worker_without_a_failed_request(base: str, live_root: Path) -> None:
    seen: list[tuple[float, str | None, int]] = []
    new = "20990101T000000000000Z-feed00"
    bad = "20990101T000000000001Z-bad000"
    timeline: dict[str, float] = {}

    def publish() -> None:
        time.sleep(2)
        timeline["new"] = time.monotonic()
        copy_version(live_root, new)
        time.sleep(10)
        timeline["bad"] = time.monotonic()
        copy_version(live_root, bad, flip=True)

    publisher = threading.Thread(target=publish)
    publisher.start()
    # Recorded at the request's start: a question asked before the switch may finish on the old version.
    report = load.hammer(
        base,
        clients=4,
        seconds=16,
        on_result=lambda o: seen.append((time.monotonic() - o.seconds, o.version, o.status)),
    )
    publisher.join()
    assert {o.status for o in report.outcomes} == {200}, report.summary()
    after = [v for t, v, _ in seen if timeline["new"] + 5 < t < timeline["bad"]]  # every worker switched within 5 s
    assert after and set(after) == {new}, report.summary()
    assert bad not in {v for _, v, _ in seen}  # the corrupt version never answered
    status, ready = get_json(base + "/api/status")
    assert status == 200 and ready["index_version"] == new
