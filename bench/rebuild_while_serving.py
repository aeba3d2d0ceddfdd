"""Rebuild while serving: clients ask continuously while `ragqa index` builds and switches a new version.

    python bench/rebuild_while_serving.py --corpus corpus --index /tmp/rws/index --clients 8

Builds the first version if the root has none, starts `ragqa serve` on it, then runs the load
while a second `ragqa index` (a real build, its own process) publishes a new version. Reports
failed requests and how long after the pointer switched every answer came from the new version.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from load import hammer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from qa.store import versions
from web.server_process import get_json, running_server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--index", type=Path, required=True, help="index root (built first when empty)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--after", type=float, default=20, help="seconds of load after the switch")
    args = parser.parse_args()
    index = [sys.executable, "-m", "qa", "index", "--corpus", str(args.corpus), "--index", str(args.index)]
    if versions.pointer(args.index) is None:
        subprocess.run(index, check=True)
    before = versions.pointer(args.index)
    switched: dict[str, float] = {}
    answers: list[tuple[float, str | None]] = []  # (when the question was sent, the version that answered)

    def rebuild() -> None:
        time.sleep(5)
        started = time.monotonic()
        subprocess.run(index, check=True, stdout=subprocess.DEVNULL)
        switched["at"] = time.monotonic()
        switched["build_s"] = switched["at"] - started

    with (
        tempfile.TemporaryDirectory() as tmp,
        running_server(
            args.index, Path(tmp) / "server.log", "--workers", str(args.workers), "--queue-wait", "30"
        ) as base,
    ):
        builder = threading.Thread(target=rebuild)
        builder.start()
        # Ask until the build is done and `--after` seconds more; the bound is generous for a busy machine.
        stop = threading.Event()
        threading.Thread(target=lambda: (builder.join(), time.sleep(args.after), stop.set()), daemon=True).start()
        reports = []
        while not stop.is_set():
            reports.append(
                hammer(
                    base, args.clients, 5, on_result=lambda o: answers.append((time.monotonic() - o.seconds, o.version))
                )
            )
        after = versions.pointer(args.index)
        ready = get_json(base + "/api/status")[1]  # /readyz says only ready or not
    outcomes = [o for r in reports for o in r.outcomes]
    old_after = [t for t, v in answers if v != after and t > switched["at"]]
    summary = {
        "clients": args.clients,
        "requests": len(outcomes),
        "failed": sum(1 for o in outcomes if o.status != 200),
        "statuses": sorted({o.status for o in outcomes}),
        "version_before": before,
        "version_after": after,
        "build_s": round(switched["build_s"], 1),
        "last_old_answer_sent_after_switch_s": round(max(old_after) - switched["at"], 2) if old_after else 0.0,
        "answers_from_new": sum(1 for _, v in answers if v == after),
        "ready_version": ready.get("index_version"),
    }
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
