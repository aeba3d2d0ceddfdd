"""Crash safety: kill `ragqa index` at random points and damage index files while a server answers.

    python bench/chaos.py --corpus corpus --index /tmp/chaos/index --trials 20

1. Builds a first version, starts `ragqa serve` on the root.
2. Each trial starts a builder, SIGKILLs it after a random delay within one observed build time
   (every other trial within its last third, where it writes and publishes), then checks: the pointer
   names a version whose every checksum verifies, and the server
   answers 200 from a version that verifies. `--builder index` (default) is a real `ragqa index`
   (minutes each on a small machine: model load and embedding); `--builder copy` publishes the
   live version's real files again through the same `versions.publish`, copied in small slow
   chunks, so every kill lands in the write / fsync / rename / switch phase that crash safety is
   about, at a second or two per trial.
3. Damage: publishes copies of the live version with one byte flipped, or a file truncated, in
   each index file in turn; checks the server never answers from them and keeps the last good one.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from load import ask

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from qa.errors import IndexUnavailable
from qa.store import files, versions
from web.server_process import get_json, running_server

QUESTION = "福建三峡海上风电国际产业园占地多少亩？"


def verified(root: Path, name: str | None) -> bool:
    try:
        files.read_files(root, name)
        return True
    except IndexUnavailable:
        return False


def answered_version(base: str, wait: float) -> str | None:
    """Ask until the server has looked at the pointer again (reload interval < wait); the version that answered."""
    time.sleep(wait)
    outcome = ask(base, QUESTION, timeout=120)
    return outcome.version if outcome.status == 200 else f"HTTP {outcome.status}"


COPY_BUILDER = """
import shutil, sys, time
from pathlib import Path
from qa.store import versions
root = Path(sys.argv[1])
source = versions.resolve(root).path
def write(folder):
    files = sorted(p for p in source.rglob("*") if p.is_file())
    for path in [p for p in files if p.name != "manifest.json"] + [source / "manifest.json"]:
        target = folder / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "rb") as src, open(target, "wb") as dst:
            while chunk := src.read(16384):
                dst.write(chunk)
                time.sleep(0.002)
with versions.build_lock(root):
    versions.publish(root, write, keep=3)
"""


def kill_trials(root: Path, corpus: Path, base: str, trials: int, rng: random.Random, builder: str) -> list[dict]:
    command = [sys.executable, "-m", "qa", "index", "--corpus", str(corpus), "--index", str(root), "--keep", "3"]
    if builder == "copy":
        command = [sys.executable, "-c", COPY_BUILDER, str(root)]
    started = time.monotonic()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    build_s = time.monotonic() - started
    results = []
    for trial in range(trials):
        before = versions.pointer(root)
        # Half the kills anywhere in the build, half in its last third, where files are written,
        # fsynced and renamed and the pointer switched (a real build spends most of its time loading
        # the model and embedding, which touch nothing on disk).
        delay = rng.uniform(0, build_s) if trial % 2 == 0 else rng.uniform(build_s * 2 / 3, build_s * 1.05)
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        finished = proc.poll() is not None
        if not finished:  # poll() reaped a builder that finished: its pid may already be someone else's
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        live = versions.pointer(root)
        served = answered_version(base, 1.5)
        results.append(
            {
                "trial": trial,
                "kill_after_s": round(delay, 2),
                "build_finished_first": finished,
                "switched": live != before,
                "live_verifies": verified(root, live),
                "served": served,
                "served_verifies": served is not None and verified(root, served),
            }
        )
        print(json.dumps(results[-1]), flush=True)
    return results


def damage_trials(root: Path, base: str) -> list[dict]:
    good = versions.pointer(root)
    results = []
    names = sorted(files.read_files(root).data)
    for n, (name, how) in enumerate((f, h) for f in names for h in ("flip", "truncate")):
        version = f"29990101T{n:06d}000000Z-bad{n:03d}"
        tmp = root / versions.VERSIONS / f"{versions.TMP_PREFIX}{version}"
        shutil.copytree(versions.resolve(root, good).path, tmp)
        path = tmp / name
        blob = bytearray(path.read_bytes())
        if how == "flip":
            blob[random.Random(n).randrange(len(blob))] ^= 0x01
        else:
            del blob[len(blob) // 2 :]
        path.write_bytes(bytes(blob))
        tmp.rename(root / versions.VERSIONS / version)
        versions._switch(root, version)
        served = answered_version(base, 1.5)
        ready = get_json(base + "/api/status")[1]  # /readyz says only ready or not
        results.append(
            {
                "file": name,
                "damage": how,
                "served": served,
                "served_good": served == good,
                "status_refused": (ready.get("refused") or {}).get("version") == version,
            }
        )
        print(json.dumps(results[-1]), flush=True)
        shutil.rmtree(root / versions.VERSIONS / version)
        versions._switch(root, good)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--builder", choices=["index", "copy"], default="index")
    args = parser.parse_args()
    if versions.pointer(args.index) is None:
        subprocess.run(
            [sys.executable, "-m", "qa", "index", "--corpus", str(args.corpus), "--index", str(args.index)], check=True
        )
    rng = random.Random(args.seed)
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_server(
            args.index, Path(tmp) / "server.log", "--workers", "1", "--queue-wait", "60", "--reload-interval", "0.5"
        ) as base,
    ):
        kills = kill_trials(args.index, args.corpus, base, args.trials, rng, args.builder)
        damage = damage_trials(args.index, base)
    summary = {
        "builder": args.builder,
        "kill_trials": len(kills),
        "switched": sum(k["switched"] for k in kills),
        "live_always_verifies": all(k["live_verifies"] for k in kills),
        "served_always_verified": all(k["served_verifies"] for k in kills),
        "damage_trials": len(damage),
        "corrupt_never_served": all(d["served_good"] for d in damage),
        "status_named_the_refused_version": sum(d["status_refused"] for d in damage),
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
