"""Measure the pipeline on labelled questions: retrieval recall, MRR, EM/F1, abstention, latency.

Every question goes through `Pipeline.ask_many`, the call that serves the API, so the figures
describe the product as users meet it.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from qa.evaluation.datasets import Dataset, Example
from qa.evaluation.metrics import contains_answer, exact_match, f1
from qa.ingest.documents import Block, Document
from qa.pipeline import Pipeline

RECALL_AT = (1, 5, 10)


@dataclass
class Outcome:
    """One question's result."""

    dataset: str
    id: str
    question: str
    answers: list[str]
    prediction: str | None
    score: float | None
    em: float
    f1: float
    rank: int | None  # 1-based rank of the first returned passage holding a gold answer
    latency_ms: float


def sample(dataset: Dataset, limit: int | None, seed: int = 0) -> list[Example]:
    """A seeded random sample of `limit` questions (all of them when limit is None)."""
    if limit is None or limit >= len(dataset.examples):
        return list(dataset.examples)
    return random.Random(seed).sample(dataset.examples, limit)


def dataset_documents(datasets: Iterable[Dataset]) -> list[Document]:
    """One document per article, its paragraphs as they are, for `ragqa eval --build`."""
    docs = []
    for ds in datasets:
        for n, (title, paragraphs) in enumerate(ds.articles):
            blocks, pos = [], 0
            for paragraph in paragraphs:
                blocks.append(Block(paragraph, pos, pos + len(paragraph)))
                pos += len(paragraph) + 2  # as if the paragraphs were separated by a blank line
            docs.append(Document(f"{ds.name}/{n}", ds.name, title, blocks, kind="dataset"))
    return docs


def run(
    pipeline: Pipeline,
    datasets: Sequence[Dataset],
    top_k: int = 10,
    limit: int | None = None,
    batch_size: int = 1,
    progress: bool = True,
) -> list[Outcome]:
    """Ask every (sampled) question; batch_size 1 gives true per-question latency."""
    from tqdm import tqdm

    work = [(ds.name, ex) for ds in datasets for ex in sample(ds, limit)]
    outcomes: list[Outcome] = []
    with tqdm(total=len(work), disable=not progress, unit="q", desc="eval") as bar:
        for start in range(0, len(work), batch_size):
            batch = work[start : start + batch_size]
            t0 = time.perf_counter()
            results = pipeline.ask_many([ex.question for _, ex in batch], top_k)
            per_question = (time.perf_counter() - t0) * 1000 / len(batch)
            for (name, ex), result in zip(batch, results):
                outcomes.append(_outcome(name, ex, result, per_question))
            bar.update(len(batch))
    return outcomes


def _outcome(name: str, ex: Example, result: Any, latency_ms: float) -> Outcome:
    prediction = result.answer.text if result.answer else None
    rank = next(
        (i for i, r in enumerate(result.passages, start=1) if contains_answer(r.passage.text, ex.answers)), None
    )
    return Outcome(
        name,
        ex.id,
        ex.question,
        ex.answers,
        prediction,
        result.answer.score if result.answer else None,
        exact_match(prediction, ex.answers),
        f1(prediction, ex.answers),
        rank if ex.answerable else None,
        latency_ms,
    )


def summarize(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """Aggregate figures; recall, MRR, EM and F1 are over answerable questions only."""
    answerable = [o for o in outcomes if o.answers]
    unanswerable = [o for o in outcomes if not o.answers]
    latencies = sorted(o.latency_ms for o in outcomes)

    def mean(values: list[float]) -> float | None:
        return statistics.fmean(values) if values else None

    summary: dict[str, Any] = {
        "questions": len(outcomes),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
    }
    for k in RECALL_AT:
        summary[f"recall@{k}"] = mean([float(o.rank is not None and o.rank <= k) for o in answerable])
    summary["mrr"] = mean([1.0 / o.rank if o.rank else 0.0 for o in answerable])
    summary["em"] = mean([100 * o.em for o in answerable])
    summary["f1"] = mean([100 * o.f1 for o in answerable])
    summary["null_rate"] = mean([float(o.prediction is None) for o in outcomes])
    summary["abstention_accuracy"] = mean([float(o.prediction is None) for o in unanswerable])
    summary["latency_ms_mean"] = mean(latencies)
    summary["latency_ms_p95"] = (
        latencies[min(len(latencies) - 1, round(0.95 * (len(latencies) - 1)))] if latencies else None
    )
    return summary


def report(outcomes: Sequence[Outcome], settings: dict[str, Any]) -> dict[str, Any]:
    """The JSON report: settings, overall and per-dataset figures, and every question's outcome."""
    names = list(dict.fromkeys(o.dataset for o in outcomes))
    return {
        "settings": settings,
        "overall": summarize(outcomes),
        "datasets": {name: summarize([o for o in outcomes if o.dataset == name]) for name in names},
        "questions": [asdict(o) for o in outcomes],
    }


COLUMNS = [
    "questions",
    "recall@1",
    "recall@5",
    "recall@10",
    "mrr",
    "em",
    "f1",
    "null_rate",
    "abstention_accuracy",
    "latency_ms_mean",
    "latency_ms_p95",
]
HEADERS = ["questions", "R@1", "R@5", "R@10", "MRR", "EM", "F1", "null", "abstain", "ms mean", "ms p95"]


def table(data: dict[str, Any]) -> str:
    """A readable fixed-width table: one row per dataset, then the overall row."""
    rows = [(name, figures) for name, figures in data["datasets"].items()]
    if len(rows) > 1:
        rows.append(("overall", data["overall"]))
    width = max([len("dataset")] + [len(name) for name, _ in rows])
    lines = ["  ".join([f"{'dataset':<{width}}"] + [f"{h:>9}" for h in HEADERS])]
    for name, figures in rows:
        lines.append("  ".join([f"{name:<{width}}"] + [f"{_cell(col, figures.get(col)):>9}" for col in COLUMNS]))
    return "\n".join(lines)


def _cell(column: str, value: Any) -> str:
    if value is None:
        return "-"
    if column == "questions":
        return str(value)
    if column in ("em", "f1") or column.startswith("latency"):
        return f"{value:.1f}"
    return f"{value:.3f}"


def write_json(path: str | Path, data: dict[str, Any]) -> None:
    import json

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
