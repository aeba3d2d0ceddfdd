"""Time to first passage: `/api/ask` streamed (Accept: text/event-stream) sends the passages when
retrieval ends and the answer after reading; this measures both, per question, in process (Flask's
test client over the real pipeline: no network, one question at a time).

    python bench/streaming.py --index var/index [--questions tests/data/seed_questions.txt] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from qa.config import Settings
from qa.pipeline import Pipeline
from web import create_app

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", required=True)
    parser.add_argument("--questions", default=str(ROOT / "tests" / "data" / "seed_questions.txt"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    settings = Settings.from_env()
    pipeline = Pipeline.load(args.index, reader_inference=settings.reader_inference)
    app = create_app({"TESTING": True, "RAGQA_FEEDBACK_DB": "/tmp/ragqa-bench-feedback.sqlite3"}, pipeline=pipeline)
    client = app.test_client()
    questions = [q.strip() for q in Path(args.questions).read_text(encoding="utf-8").splitlines() if q.strip()]
    first, whole = [], []
    for _ in range(args.repeat):
        for question in questions:
            started = time.perf_counter()
            response = client.post(
                "/api/ask", json={"question": question}, headers={"Accept": "text/event-stream"}, buffered=False
            )
            chunks = iter(response.response)
            head = next(chunks)
            first.append(time.perf_counter() - started)
            assert b"event: passages" in head, head[:80]
            for _chunk in chunks:
                pass
            whole.append(time.perf_counter() - started)
            response.close()

    def pct(values: list[float], q: float) -> float:
        return 1000 * sorted(values)[min(len(values) - 1, int(q * len(values)))]

    print(f"{len(first)} streamed questions ({len(questions)} x {args.repeat})")
    print("| ms | p50 | p95 | mean |\n| --- | ---: | ---: | ---: |")
    for name, values in (("first passage", first), ("whole answer", whole)):
        print(f"| {name} | {pct(values, 0.5):.0f} | {pct(values, 0.95):.0f} | {1000 * statistics.mean(values):.0f} |")


if __name__ == "__main__":
    main()
