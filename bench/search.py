"""Measure `POST /api/search` (ranked passages, no reader) beside `POST /api/ask` on the same questions.

    .venv/bin/python bench/search.py --index /tmp/drcd-index [--dataset ../shared/datasets/DRCD_test.json]
                                     [--limit 200] [--top-k 5] [--no-ask] [--url http://127.0.0.1:8000]

Without --url the requests go through the whole Flask app in this process (routing, JSON, admission,
the pipeline; no socket), loaded from the index as a `ragqa serve` worker loads it (the RAGQA_*
settings of the environment apply, every core serves the one worker); with --url they go
over HTTP to a running server (whose index should be --index's, for the same passages). A seeded
sample of the dataset's questions is each sent once as a search and once as a question, after a
few untimed warm-up requests; the figures are per request: p50, p95 (nearest rank) and mean, in
ms. Figures go to docs/performance.md ("Search only").
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from timing import latency_summary

ROOT = Path(__file__).resolve().parent.parent
WARM_UP = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", required=True, help="an index root (`ragqa index`)")
    parser.add_argument("--dataset", default=str(ROOT.parent / "shared" / "datasets" / "DRCD_test.json"))
    parser.add_argument("--limit", type=int, default=200, help="questions sampled from the dataset (seed 0)")
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--no-ask", action="store_true", help="time /api/search only")
    parser.add_argument("--url", default=None, help="a running server's base URL (default: the app in process)")
    args = parser.parse_args()

    from qa.evaluation.datasets import load_dataset
    from qa.evaluation.evaluate import sample

    questions = [ex.question for ex in sample(load_dataset(args.dataset), args.limit)]
    post = _http(args.url) if args.url else _in_process(args.index)
    print(f"machine: {platform.machine()}, python {platform.python_version()}; via {args.url or 'the app in process'}")
    print(f"{len(questions)} questions of {Path(args.dataset).name}, top_k {args.top_k}")
    routes = [("/api/search", "query")] + ([] if args.no_ask else [("/api/ask", "question")])
    for path, field in routes:
        for question in questions[:WARM_UP]:
            post(path, {field: question, "top_k": args.top_k})
        times = []
        for question in questions:
            started = time.perf_counter()
            post(path, {field: question, "top_k": args.top_k})
            times.append((time.perf_counter() - started) * 1000)
        figures = latency_summary(times)
        print(f"{path}: p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, mean {figures['mean_ms']} ms")


def _in_process(index: str) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    import tempfile

    from web import create_app

    started = time.perf_counter()
    feedback = Path(tempfile.mkdtemp()) / "feedback.sqlite3"
    # Loaded from RAGQA_INDEX and the RAGQA_* settings, warm-up question included, as a server worker is.
    app = create_app({"RAGQA_INDEX": index, "RAGQA_FEEDBACK_DB": str(feedback), "RAGQA_API_KEYS": ()})
    client = app.test_client()
    with app.app_context():
        from web.state import get_pipeline

        info = get_pipeline().info()
    print(f"loaded {info['passages']} passages, reader {info['reader']}, in {time.perf_counter() - started:.1f} s")

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = client.post(path, json=body)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}: {response.get_data(as_text=True)}")
        return response.get_json()

    return post


def _http(base: str) -> Callable[[str, dict[str, Any]], dict[str, Any]]:
    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        request = urllib.request.Request(
            base.rstrip("/") + path,
            data=json.dumps(body).encode("utf-8"),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read())

    return post


if __name__ == "__main__":
    main()
