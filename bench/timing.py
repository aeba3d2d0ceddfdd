"""Latency figures as every bench reports them: p50, p95 (nearest rank) and mean, in ms."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The value at rank q of the sorted values (nearest rank, no interpolation)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def latency_summary(latencies_ms: Sequence[float]) -> dict[str, float]:
    """p50, p95 and mean of request latencies, rounded to 0.1 ms; the mean is a run's time per request."""
    return {
        "p50_ms": round(statistics.median(latencies_ms), 1),
        "p95_ms": round(percentile(latencies_ms, 0.95), 1),
        "mean_ms": round(statistics.fmean(latencies_ms), 1),
    }
