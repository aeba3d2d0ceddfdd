"""The no-answer trade-off on a fold calibration never saw: answered and gold-removed cases.

    .venv/bin/python bench/heldout_abstention.py ../shared/datasets/DRCD_test.json --index DIR \
        --reader models/reader-m3e-small --fold 2/2 --limit 300 [--cache cases.pkl]

`ragqa eval` on DRCD scores only answerable questions, where abstaining always costs; this asks
each question as retrieved and with its gold passages removed, exactly as `ragqa calibrate-reader`
does (qa.evaluation.calibration.collect), and prints EM/F1 on the answerable cases, the abstention rate on
the answerless ones and the SQuAD 2.0 overall F1 (both kinds weighted equally) for: the reader's
top span per passage (before the answer-type choice), the answer-type choice, and both with the
heuristic fallback, all at the settings stored in the reader's reader.json. `--cache` keeps the
read cases (reading is the slow part) so the figures can be recomputed.
"""

from __future__ import annotations

import argparse
import json
import pickle
from pathlib import Path

from qa.evaluation import calibration
from qa.evaluation import evaluate as ev
from qa.evaluation.datasets import fold, load_dataset
from qa.evaluation.metrics import exact_match, f1
from qa.pipeline import Pipeline


def top_spans(case: calibration.Case) -> calibration.Case:
    """The case as the reader read it before the answer-type choice: each passage's best span."""
    spans = [None if not c else t[c[0][0] : c[0][1]] for t, c in zip(case.texts, case.candidates)]
    return calibration.Case(
        case.answers,
        spans,
        [c[0][2] if c else 0.0 for c in case.candidates],
        case.retrieval,
        fallback=case.fallback,
        starts=[c[0][0] if c else None for c in case.candidates],
        sentences=case.sentences,
    )


def figures(
    cases: list[calibration.Case], weight: float, threshold: float, fallback: float | None, share: float = 0.0
) -> dict[str, float]:
    def predict(case: calibration.Case) -> str | None:
        span, score = calibration.decide(case, weight, share)
        if span is not None and score >= threshold:
            return span
        if fallback is not None and case.fallback[0] is not None and case.fallback[1] >= fallback:
            return case.fallback[0]
        return None

    answerable = [c for c in cases if c.answers]
    answerless = [c for c in cases if not c.answers]
    f1s = [f1(predict(c), c.answers) for c in answerable]
    abstained = sum(predict(c) is None for c in answerless) / len(answerless)
    return {
        "em": 100 * sum(exact_match(predict(c), c.answers) for c in answerable) / len(answerable),
        "f1": 100 * sum(f1s) / len(f1s),
        "abstained": abstained,
        "overall_f1": 50 * sum(f1s) / len(f1s) + 50 * abstained,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dataset")
    parser.add_argument("--index", required=True)
    parser.add_argument("--reader", required=True)
    parser.add_argument("--fold", default="2/2")
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--cache", default=None, help="pickle of the read cases: used if present, written if not")
    args = parser.parse_args()

    if args.cache and Path(args.cache).exists():
        cases = pickle.loads(Path(args.cache).read_bytes())
    else:
        part, parts = (int(x) for x in args.fold.split("/"))
        pipeline = Pipeline.load(args.index, reader_dir=args.reader)
        examples = ev.sample(fold(load_dataset(args.dataset), part, parts), args.limit)
        cases = calibration.collect(
            pipeline, pipeline.trained_readers[0], examples, args.top_k, fallback=pipeline.reader.fallback
        )
        if args.cache:
            Path(args.cache).write_bytes(pickle.dumps(cases))
    settings = json.loads((Path(args.reader) / "reader.json").read_text(encoding="utf-8"))["settings"]
    weight, threshold = settings["retrieval_weight"], settings["threshold"]
    typed = [c.retyped(settings.get("type_ratio", 0.0), settings.get("type_penalty", 1.0), weight) for c in cases]
    before = [top_spans(c) for c in cases]
    print(f"{sum(bool(c.answers) for c in cases)} answerable and {sum(not c.answers for c in cases)} answerless cases")
    print(f"{'reader':<34} {'EM':>5} {'F1':>5} {'abstained':>9} {'overall F1':>10}")
    for name, rows, fb in [
        ("top span (before)", before, None),
        ("answer-type choice", typed, None),
        ("top span + fallback", before, settings.get("fallback_threshold")),
        ("answer-type choice + fallback", typed, settings.get("fallback_threshold")),
    ]:
        f = figures(rows, weight, threshold, fb, settings.get("sentence_share", 0.0))
        print(f"{name:<34} {f['em']:5.1f} {f['f1']:5.1f} {f['abstained']:9.3f} {f['overall_f1']:10.1f}")


if __name__ == "__main__":
    main()
