"""Where a slow question's reading goes: reader windows per question, by stride, and how many a
per-window bound would spare.

    python bench/reader_windows.py --index /tmp/speed/ragqa --strides 64,32

INDEX is an index of the speed bench's collection (`bench/speed.py --work W` leaves it in
W/ragqa). The held-out questions of `bench/speed.py` (DRCD test fold 2/2) are asked one at a time
in process, top_k 5, on the shipped reader (ONNX Runtime int8). For each stride (tokens shared by
consecutive windows; the reader was trained with 64): windows read per question (mean, p95, max,
total), latency p50/p95 and EM/F1.

With the first stride it also counts the windows a per-window bound would skip: a window's spans
score at most `span_score(1, evidence, its best sentence)`, tighter than the passage's bound (its
best sentence anywhere); a window read while that is under the best score found so far could not
give the winning span. The count is what such a change would save; it would no longer give
exactly the answers of reading everything, since a passage read in part can choose another span.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from timing import latency_summary, percentile  # noqa: E402

from qa.answering import Answerer, Decision, Retrieval, span_score  # noqa: E402
from qa.evaluation import evaluate as ev  # noqa: E402
from qa.evaluation.datasets import fold, load_dataset  # noqa: E402
from qa.evaluation.metrics import exact_match, f1  # noqa: E402
from qa.pipeline import Pipeline  # noqa: E402
from qa.reading.reader import Policy, Reader, Reading, Scored, SentenceScores  # noqa: E402
from qa.reading.trained.reader import ExtractiveReader  # noqa: E402
from qa.reading.trained.span_logits import SpanLogits  # noqa: E402
from qa.reading.trained.windows import make_windows  # noqa: E402
from qa.retrieval.hybrid import Hit  # noqa: E402
from qa.text import fold as fold_text  # noqa: E402

DATASETS = ROOT.parent / "shared" / "datasets"


class CountingSpans:
    """A reader engine that counts the windows it is given."""

    def __init__(self, spans: SpanLogits) -> None:
        self.spans = spans
        self.windows = 0

    @property
    def per_window(self) -> bool:
        return self.spans.per_window

    def __call__(self, batch: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        self.windows += len(batch["input_ids"])
        return self.spans(batch)


class WindowBounds(Answerer):
    """The pipeline's answerer, counting the windows each read passage has whose bound is under the
    best score found before it is read (the answers stay the shipped ones)."""

    def __init__(self, pipeline: Pipeline, trained: ExtractiveReader) -> None:
        super().__init__(pipeline.reader, pipeline.passages, pipeline.evidence)
        self.trained = trained
        self.reader = _Spy(pipeline.reader, self._count)
        self.skippable = 0
        self._passage: dict[int, tuple[float, Policy]] = {}  # id(sentences) -> evidence, policy
        self._best: dict[str, float] = {}  # question -> best score found so far

    def answer_many(self, retrieved: Sequence[Retrieval]) -> list[Decision]:
        self._passage.clear()
        self._best = {r.question: self.reader.policy(r.question).threshold for r in retrieved}
        return super().answer_many(retrieved)

    def _bound(self, question: str, hit: Hit, sentences: SentenceScores, policy: Policy) -> float:
        self._passage[id(sentences)] = (self.evidence(hit, question), policy)
        return super()._bound(question, hit, sentences, policy)

    def _score(
        self, retrieval: Retrieval, i: int, reading: Reading, policy: Policy, weigh_sentences: bool = True
    ) -> float | None:
        score = super()._score(retrieval, i, reading, policy, weigh_sentences)
        if score is not None and retrieval.question in self._best:
            self._best[retrieval.question] = max(self._best[retrieval.question], score)
        return score

    def _count(self, questions: Sequence[str], passages: Sequence[Sequence[str]], sentences: Scored) -> None:
        settings = self.trained.settings
        for question, texts, scored in zip(questions, passages, sentences):
            for text, spans in zip(texts, scored):
                evidence, policy = self._passage[id(spans)]
                windows = make_windows(
                    self.trained.tokenizer,
                    [fold_text(question)],
                    [fold_text(text)],
                    settings.max_length,
                    settings.stride,
                )
                for offsets in windows.offsets:
                    inside = [o for o in offsets if o is not None]
                    start, end = inside[0][0], inside[-1][1]
                    best = max((v for s, e, v in spans if s < end and e > start), default=None)
                    bound = span_score(1.0, evidence, best, policy.retrieval_weight, policy.sentence_share)
                    self.skippable += bound < self._best[question]


class _Spy:
    """A reader that tells `before` what it is about to read, then reads it."""

    def __init__(
        self, reader: Reader, before: Callable[[Sequence[str], Sequence[Sequence[str]], Scored], None]
    ) -> None:
        self.inner, self.before = reader, before

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def fallback(self) -> Reader | None:
        return self.inner.fallback

    def policy(self, question: str) -> Policy:
        return self.inner.policy(question)

    def read_many(
        self,
        questions: Sequence[str],
        passages: Sequence[Sequence[str]],
        question_vectors: np.ndarray | None = None,
        sentences: Scored | None = None,
    ) -> list[list[Reading]]:
        if sentences is not None:
            self.before(questions, passages, sentences)
        return self.inner.read_many(questions, passages, question_vectors, sentences)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", required=True, help="an index of the speed bench's collection")
    parser.add_argument("--strides", default="64,32", help="tokens shared by consecutive windows, one run each")
    parser.add_argument("--questions", type=int, default=200, help="held-out questions (DRCD test fold 2/2)")
    parser.add_argument("--out", default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()

    asked = ev.sample(fold(load_dataset(DATASETS / "DRCD_test.json"), 2, 2), args.questions)
    pipeline = Pipeline.load(args.index, reader_inference="onnx-int8")
    trained = pipeline.trained_readers[0]
    counting = CountingSpans(trained.spans)
    trained.spans = counting
    rows = []
    for n, stride in enumerate(int(s) for s in args.strides.split(",")):
        trained.settings.stride = stride
        bounds = WindowBounds(pipeline, trained) if n == 0 else None
        pipeline.answerer = bounds or Answerer(pipeline.reader, pipeline.passages, pipeline.evidence)
        pipeline.ask("预热 warm-up", 5)
        windows, latencies, ems, f1s = [], [], [], []
        if bounds:
            bounds.skippable = 0
        for example in asked:
            counting.windows = 0
            started = time.perf_counter()
            result = pipeline.ask(example.question, 5)
            latencies.append((time.perf_counter() - started) * 1000)
            windows.append(counting.windows)
            answer = result.answer.text if result.answer else ""
            ems.append(exact_match(answer, example.answers))
            f1s.append(f1(answer, example.answers))
        row: dict[str, Any] = {
            "stride": stride,
            "windows": {
                "total": sum(windows),
                "mean": round(statistics.fmean(windows), 2),
                "p95": percentile(windows, 0.95),
                "max": max(windows),
            },
            **latency_summary(latencies),
            "em": round(100 * statistics.fmean(ems), 1),
            "f1": round(100 * statistics.fmean(f1s), 1),
        }
        if bounds:
            row["windows_under_their_bound"] = bounds.skippable
        rows.append(row)
        print(json.dumps(row), flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
