"""The trained-reader path: windows and offsets, span choice, a real (tiny) training run, resume, loading.

The training run uses the real m3e-small over a handful of questions it must learn by heart: it
proves the code path (labels, loss, saving, loading, offsets), not reading skill; that is measured
with `ragqa eval` on held-out data (docs/quality.md).
"""

from __future__ import annotations

import numpy as np
import pytest

from qa.reading.trained.reader import nbest_spans
from qa.reading.trained.windows import token_span


def test_token_span_needs_the_whole_answer_in_the_window() -> None:
    offsets = [None, None, (0, 2), (2, 4), (4, 5), None]
    assert token_span(offsets, 2, 5) == (3, 4)
    assert token_span(offsets, 3, 4) == (3, 3)
    assert token_span(offsets, 4, 9) is None


def test_the_best_span_equals_brute_force() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        n = 24
        offsets = [None, None] + [(i, i + 1) for i in range(n - 3)] + [None]
        starts, ends = rng.normal(size=n) * 3, rng.normal(size=n) * 3
        found = nbest_spans(starts, ends, offsets, 1, max_tokens=5)[0]
        ps, pe = np.exp(starts) / np.exp(starts).sum(), np.exp(ends) / np.exp(ends).sum()
        best = max(
            ((ps[s] * pe[e], s, e) for s in range(n) for e in range(s, min(n, s + 5)) if offsets[s] and offsets[e]),
            key=lambda x: x[0],
        )
        assert found is not None and found[:2] == (offsets[best[1]][0], offsets[best[2]][1])
        assert found[2] == pytest.approx(best[0])


def test_nbest_spans_equal_brute_force() -> None:
    rng = np.random.default_rng(1)
    for _ in range(30):
        n = 20
        offsets = [None, None, None] + [(2 * i, 2 * i + 2) for i in range(n - 4)] + [None]
        starts, ends = rng.normal(size=n) * 3, rng.normal(size=n) * 3
        found = nbest_spans(starts, ends, offsets, 10, max_tokens=4)
        ps, pe = np.exp(starts) / np.exp(starts).sum(), np.exp(ends) / np.exp(ends).sum()
        brute = sorted(
            (
                (ps[s] * pe[e], offsets[s][0], offsets[e][1])
                for s in range(n)
                for e in range(s, min(n, s + 4))
                if offsets[s] and offsets[e]
            ),
            reverse=True,
        )[:10]
        assert [(s, e) for s, e, _ in found] == [(s, e) for _, s, e in brute]
        assert [p for _, _, p in found] == pytest.approx([p for p, _, _ in brute])
    assert nbest_spans(np.zeros(3), np.zeros(3), [None, None, None], 5) == []
