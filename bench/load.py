"""Load test from a second process: N clients ask continuously for S seconds; report req/s, latency and statuses.

    python bench/load.py --url http://127.0.0.1:8000 --clients 8 --seconds 60
    python bench/load.py --index var/index --clients 64 --seconds 60   # starts its own `ragqa serve`

Each client is a thread with its own connection per request (urllib), so the pool is bounded by
--clients and every loop stops at the deadline. Only loopback addresses are meant as targets.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

QUESTIONS = [
    "福建三峡海上风电国际产业园占地多少亩？",
    "郑州高新区第一批复审通过的链主企业有多少家？",
    "吡咯替尼是哪家公司的产品？",
    "量子计算机的工作原理是什么？",
    "How tall is the solar tower?",
]


@dataclass
class Outcome:
    status: int  # 0: no HTTP answer (refused, reset, timed out)
    seconds: float
    version: str | None = None
    retry_after: str | None = None
    error: str | None = None
    answer: str | None = None  # the answer's text, for a 200 that has one


@dataclass
class LoadReport:
    clients: int
    seconds: float
    outcomes: list[Outcome] = field(default_factory=list)
    probes: list[Outcome] = field(default_factory=list)  # /healthz asked twice a second during the run

    def summary(self) -> dict[str, Any]:
        ok = sorted(o.seconds for o in self.outcomes if o.status == 200)
        refused = sorted(o.seconds for o in self.outcomes if o.status == 429)
        statuses = Counter(str(o.status) for o in self.outcomes)

        def pct(p: float, values: list[float] = ok) -> float | None:
            return round(values[min(len(values) - 1, int(p / 100 * len(values)))] * 1000, 1) if values else None

        return {
            "clients": self.clients,
            "seconds": round(self.seconds, 1),
            "requests": len(self.outcomes),
            "req_per_s": round(len(self.outcomes) / self.seconds, 2) if self.seconds else 0.0,
            "ok_per_s": round(len(ok) / self.seconds, 2) if self.seconds else 0.0,
            "p50_ms": pct(50),
            "p95_ms": pct(95),
            "p99_ms": pct(99),
            "mean_ms": round(statistics.fmean(ok) * 1000, 1) if ok else None,
            "statuses": dict(sorted(statuses.items())),
            "p50_429_ms": pct(50, refused),
            "p95_429_ms": pct(95, refused),
            "healthz": {
                "probes": len(self.probes),
                "ok": sum(1 for o in self.probes if o.status == 200),
                "max_ms": round(max(o.seconds for o in self.probes) * 1000, 1) if self.probes else None,
            },
            "server_errors": sum(1 for o in self.outcomes if o.status >= 500),
            "no_answer": sum(1 for o in self.outcomes if o.status == 0),
            "versions": dict(Counter(o.version for o in self.outcomes if o.version)),
            "errors": sorted({o.error for o in self.outcomes if o.error})[:5],
        }


def ask(url: str, question: str, top_k: int = 3, timeout: float = 30) -> Outcome:
    body = json.dumps({"question": question, "top_k": top_k}).encode()
    request = urllib.request.Request(url + "/api/ask", data=body, headers={"Content-Type": "application/json"})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = json.loads(response.read())
            answer = (data.get("answer") or {}).get("text")
            return Outcome(response.status, time.perf_counter() - started, data.get("index_version"), answer=answer)
    except urllib.error.HTTPError as err:
        payload = err.read()
        code = (
            json.loads(payload).get("error", {}).get("code")
            if payload.startswith(b"{")
            else payload[:80].decode(errors="replace")
        )
        return Outcome(
            err.code,
            time.perf_counter() - started,
            retry_after=err.headers.get("Retry-After"),
            error=f"{err.code} {code}",
        )
    except (OSError, ValueError) as exc:
        return Outcome(0, time.perf_counter() - started, error=f"{exc.__class__.__name__}: {exc}")


def probe(url: str, timeout: float = 10) -> Outcome:
    """One liveness check, as a Kubernetes probe would make it."""
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=timeout) as response:
            response.read()
            return Outcome(response.status, time.perf_counter() - started)
    except urllib.error.HTTPError as err:
        return Outcome(err.code, time.perf_counter() - started, error=f"healthz {err.code}")
    except OSError as exc:
        return Outcome(0, time.perf_counter() - started, error=f"healthz {exc.__class__.__name__}: {exc}")


def hammer(
    url: str,
    clients: int,
    seconds: float,
    on_result: Callable[[Outcome], None] | None = None,
    max_requests: int = 1_000_000,
    honor_retry_after: bool = True,
) -> LoadReport:
    """Run `clients` threads asking in a loop until `seconds` pass (or max_requests are sent).

    A further thread checks /healthz twice a second: liveness must not queue behind questions.
    A client told 429 waits the Retry-After seconds before asking again, unless honor_retry_after
    is off (then the 429s themselves become the load).
    """
    report = LoadReport(clients, 0.0)
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client(n: int) -> None:
        k = n
        while time.monotonic() < deadline:
            outcome = ask(url, QUESTIONS[k % len(QUESTIONS)])
            k += 1
            with lock:
                if len(report.outcomes) >= max_requests:
                    return
                report.outcomes.append(outcome)
            if on_result is not None:
                on_result(outcome)
            if outcome.status == 429 and honor_retry_after:  # as a well-behaved client does
                time.sleep(min(float(outcome.retry_after or 1), max(0.0, deadline - time.monotonic())))

    def prober() -> None:
        while time.monotonic() < deadline:
            report.probes.append(probe(url))
            time.sleep(0.5)

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    threads.append(threading.Thread(target=prober, daemon=True))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)  # a client stuck past its deadline is a hung server, reported below
    report.seconds = time.monotonic() - started
    report.outcomes.extend(
        Outcome(0, report.seconds, error="client still waiting after the run") for t in threads if t.is_alive()
    )
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="a running server (loopback)")
    where.add_argument("--index", type=Path, help="start `ragqa serve` on this index root for the run")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--ignore-retry-after", action="store_true", help="ask again at once after a 429")
    parser.add_argument("--serve-args", default="", help="extra `ragqa serve` options, e.g. '--queue-wait 1'")
    args = parser.parse_args()
    if args.url:
        print(
            json.dumps(
                hammer(args.url, args.clients, args.seconds, honor_retry_after=not args.ignore_retry_after).summary(),
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    from web.server_process import get_json, running_server

    with (
        tempfile.TemporaryDirectory() as tmp,
        running_server(
            args.index, Path(tmp) / "server.log", "--workers", str(args.workers), *args.serve_args.split()
        ) as base,
    ):
        summary = hammer(base, args.clients, args.seconds, honor_retry_after=not args.ignore_retry_after).summary()
        status, _ = get_json(base + "/readyz")
        summary["ready_after"] = status  # 200: no worker hung or died under the load
    print(json.dumps(summary, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
