"""Search by size: the exact flat index against HNSW at a large synthetic size, and BM25 at 100k passages.

    python bench/ann.py --vectors 1000000 --bm25 100000

Vectors are clustered 384-d unit vectors (embeddings of related passages cluster; uniform random
ones have no near neighbours and make every approximate index look bad), or, with `--like INDEX`,
drawn from a Gaussian with the mean and covariance of that index's real passage vectors (the spread
of a real model's embeddings: their anisotropy and the decay of their spectrum), then normalised. Prints build seconds,
index bytes, single-question search p50/p95 for each kind (`qa.store.dense.build`, the code the
index build uses) and HNSW's recall@10 against the exact search. BM25: bm25s over synthetic
passages of Zipf-distributed words, one question at a time, top 50 (what the retriever asks).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa.store import dense


def clustered(n: int, dim: int, seed: int, clusters: int | None = None) -> np.ndarray:
    """n unit vectors around `clusters` centres (n / 200 by default) drawn from the seed 0: passages
    and the questions about them share their topics' centres, with noise of their own (`seed`)."""
    centres = np.random.default_rng(0).normal(size=(clusters or max(1, n // 200), dim)).astype(np.float32)
    rng = np.random.default_rng(seed)
    out = np.empty((n, dim), dtype=np.float32)
    for lo in range(0, n, 100_000):  # in slices: the noise of 1M rows at once would double the peak
        hi = min(n, lo + 100_000)
        rows = centres[rng.integers(0, len(centres), hi - lo)] + 0.35 * rng.normal(size=(hi - lo, dim))
        out[lo:hi] = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return out


def like(index_root: str, n: int, seed: int) -> np.ndarray:
    """n unit vectors with the first and second moments of a real index's passage vectors."""
    import faiss

    from qa.store import read_files

    stored = faiss.deserialize_index(np.frombuffer(read_files(index_root).data["vectors.faiss"], dtype=np.uint8))
    real = stored.reconstruct_n(0, stored.ntotal).astype(np.float64)
    mean, cov = real.mean(axis=0), np.cov(real, rowvar=False)
    rng = np.random.default_rng(seed)
    out = np.empty((n, real.shape[1]), dtype=np.float32)
    for lo in range(0, n, 100_000):
        hi = min(n, lo + 100_000)
        rows = rng.multivariate_normal(mean, cov, size=hi - lo, method="eigh")
        out[lo:hi] = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return out


def timed_searches(index: dense.DenseIndex, queries: np.ndarray, k: int) -> tuple[list[float], np.ndarray]:
    times, found = [], []
    for q in queries:
        started = time.perf_counter()
        _, ids = index.search(q[None, :], k)
        times.append((time.perf_counter() - started) * 1000)
        found.append(ids[0])
    return times, np.array(found)


def vectors_bench(n: int, dim: int, queries: int, like_index: str | None = None) -> None:
    import faiss

    if like_index:
        vectors, asked = like(like_index, n, 0), like(like_index, queries, 1)
    else:
        # Questions around the passages' own centres: a question is about some topic of the corpus
        # (questions around centres of their own would have no near neighbours at all).
        vectors, asked = clustered(n, dim, 0), clustered(queries, dim, 1, clusters=max(1, n // 200))
    records = [{} for _ in range(n)]
    results = {}
    for kind in ("flat", "hnsw"):
        started = time.perf_counter()
        index = dense.build(vectors, records, {"model": {"id": "synthetic"}}, kind)
        seconds = time.perf_counter() - started
        size = len(faiss.serialize_index(index.faiss_index))
        times, found = timed_searches(index, asked, 10)
        results[kind] = found
        print(
            f"{kind:5s} n={n:,} build {seconds:.1f} s, {size / 2**20:,.0f} MiB, "
            f"search p50 {statistics.median(times):.2f} ms p95 {sorted(times)[int(0.95 * len(times))]:.2f} ms",
            flush=True,
        )
        del index
    recall = np.mean([len(set(e) & set(h)) / 10 for e, h in zip(results["flat"], results["hnsw"])])
    print(f"hnsw recall@10 against exact: {recall:.3f} over {queries} questions", flush=True)


def bm25_bench(n: int, questions: int) -> None:
    import bm25s

    rng = np.random.default_rng(2)
    vocabulary = 50_000
    words = rng.zipf(1.3, size=(n, 120)) % vocabulary  # ~120 tokens a 400-character passage
    corpus = [[str(w) for w in row] for row in words]
    started = time.perf_counter()
    model = bm25s.BM25()
    model.index(corpus, show_progress=False)
    built = time.perf_counter() - started
    asked = [[str(w) for w in rng.zipf(1.3, size=8) % vocabulary] for _ in range(questions)]
    times = []
    for q in asked:
        started = time.perf_counter()
        model.retrieve([q], k=50, show_progress=False, n_threads=1)
        times.append((time.perf_counter() - started) * 1000)
    print(
        f"bm25 n={n:,} index {built:.1f} s, retrieve top 50 p50 {statistics.median(times):.2f} ms "
        f"p95 {sorted(times)[int(0.95 * len(times))]:.2f} ms",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vectors", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--bm25", type=int, default=100_000)
    parser.add_argument("--like", metavar="INDEX", help="draw vectors like this index's passage vectors")
    args = parser.parse_args()
    if args.bm25:
        bm25_bench(args.bm25, args.queries)
    if args.vectors:
        vectors_bench(args.vectors, args.dim, args.queries, args.like)


if __name__ == "__main__":
    main()
