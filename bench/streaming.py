"""Time to first passage: `/api/ask` streamed (Accept: text/event-stream) sends the passages when
retrieval ends and the answer after reading; this measures both, per question, one at a time:
through a running server over HTTP (`--url`), or in process (Flask's test client over the pipeline).

    python bench/streaming.py --url http://127.0.0.1:8000 [--questions tests/data/seed_questions.txt] [--repeat 3]
    python bench/streaming.py --index var/index
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def over_http(url: str) -> Callable[[str], Iterator[bytes]]:
    def events(question: str) -> Iterator[bytes]:
        body = json.dumps({"question": question}).encode()
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        with urllib.request.urlopen(urllib.request.Request(url + "/api/ask", body, headers), timeout=120) as response:
            yield from response  # lines as they arrive

    return events


def in_process(index: str) -> Callable[[str], Iterator[bytes]]:
    from qa.config import Settings
    from qa.pipeline import Pipeline
    from web import create_app

    pipeline = Pipeline.load(index, reader_inference=Settings.from_env().reader_inference)
    app = create_app({"TESTING": True, "RAGQA_FEEDBACK_DB": "/tmp/ragqa-bench-feedback.sqlite3"}, pipeline=pipeline)
    client = app.test_client()

    def events(question: str) -> Iterator[bytes]:
        headers = {"Accept": "text/event-stream"}
        response = client.post("/api/ask", json={"question": question}, headers=headers, buffered=False)
        try:
            yield from response.response
        finally:
            response.close()

    return events


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="a running `ragqa serve`")
    where.add_argument("--index", help="an index, asked in process")
    parser.add_argument("--questions", default=str(ROOT / "tests" / "data" / "seed_questions.txt"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    events = over_http(args.url) if args.url else in_process(args.index)
    questions = [q.strip() for q in Path(args.questions).read_text(encoding="utf-8").splitlines() if q.strip()]
    first, whole = [], []
    for _ in range(args.repeat):
        for question in questions:
            started = time.perf_counter()
            seen_passages = False
            for chunk in events(question):
                if not seen_passages and b"event: passages" in chunk:
                    first.append(time.perf_counter() - started)
                    seen_passages = True
            assert seen_passages, f"no passages event for {question}"
            whole.append(time.perf_counter() - started)

    def pct(values: list[float], q: float) -> float:
        return 1000 * sorted(values)[min(len(values) - 1, int(q * len(values)))]

    how = "over HTTP" if args.url else "in process"
    print(f"{len(first)} streamed questions ({len(questions)} x {args.repeat}), {how}")
    print("| ms | p50 | p95 | mean |\n| --- | ---: | ---: | ---: |")
    for name, values in (("first passage", first), ("whole answer", whole)):
        print(f"| {name} | {pct(values, 0.5):.0f} | {pct(values, 0.95):.0f} | {1000 * statistics.mean(values):.0f} |")


if __name__ == "__main__":
    main()
