"""Follow-up questions: the follow-up's answer read in its conversation, against the same question asked alone.

For each two-turn conversation of tests/data/followups.jsonl (odd ids dev, even ids held out), the
first question is asked, its answer becomes the history, and the follow-up is asked twice: alone,
and in its conversation (`qa.conversation.asking.ask`). An answer is right when it contains a gold
answer or a gold answer contains it, ignoring spaces (the page's numbers carry units either way).
The `full` column is the hand-written self-contained question: the ceiling of any rewriting.

    python bench/followups.py --index /tmp/fu-index [--split heldout] [--show]

The index must hold the shipped page (corpus/) and the documents the conversations name, from
../shared/documents/ (see docs/quality.md for the command that builds it).
"""

from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

from qa.config import Settings
from qa.conversation.asking import ask
from qa.conversation.turns import Turn
from qa.pipeline import Pipeline, Result

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "followups.jsonl"
HELDOUT = DATA.parent / "seed_heldout.jsonl"


def right(result: Result, golds: list[str]) -> bool:
    if result.answer is None:
        return False
    said = re.sub(r"\s+", "", result.answer.text)
    return any(g and (re.sub(r"\s+", "", g) in said or said in re.sub(r"\s+", "", g)) for g in golds) and bool(said)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", required=True)
    parser.add_argument("--split", choices=["dev", "heldout", "heldout2", "all"], default="all")
    parser.add_argument("--top-k", type=int, default=5)
    parser.add_argument("--show", action="store_true", help="print each conversation's readings and answers")
    args = parser.parse_args()
    settings = Settings.from_env()
    pipeline = Pipeline.load(args.index, reader_inference=settings.reader_inference)
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if args.split == "all" or r["split"] == args.split]
    tally: dict[str, dict[str, int]] = {}
    took: list[float] = []
    for row in rows:
        first = pipeline.ask(row["first"]["question"], args.top_k)
        history = [Turn(row["first"]["question"], first.answer.text if first.answer else None)]
        alone = pipeline.ask(row["question"], args.top_k)
        started = time.perf_counter()
        in_context, reading = ask(pipeline, row["question"], history, args.top_k)
        took.append(time.perf_counter() - started)
        full = pipeline.ask(row["full"], args.top_k)
        marks = {
            "first": right(first, row["first"]["answers"]),
            "alone": right(alone, row["answers"]),
            "in context": right(in_context, row["answers"]),
            "full (ceiling)": right(full, row["answers"]),
        }
        for group in (row["split"], f"{row['split']}/{row['lang']}"):
            counts = tally.setdefault(group, {"n": 0} | {k: 0 for k in marks})
            counts["n"] += 1
            for k, v in marks.items():
                counts[k] += int(v)
        if args.show:
            said = in_context.answer.text if in_context.answer else None
            print(
                f"{row['id']} {row['kind']}: {row['question']} -> [{reading.how}] {reading.question} -> {said} "
                f"{'OK' if marks['in context'] else 'X'} (alone {'OK' if marks['alone'] else 'X'})"
            )
    print("| set | n | first turn right | follow-up alone | follow-up in context | self-contained (ceiling) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for group, c in sorted(tally.items()):
        print(f"| {group} | {c['n']} | {c['first']} | {c['alone']} | {c['in context']} | {c['full (ceiling)']} |")
    took.sort()
    print(f"in-context ask: p50 {1000 * took[len(took) // 2]:.0f} ms, max {1000 * took[-1]:.0f} ms")
    standalone(pipeline, args.top_k, args.show)


def standalone(pipeline: Pipeline, top_k: int, show: bool) -> None:
    """Questions that need no context (the page's held-out questions), each asked after the one before it
    as its history: the answer should be the one it gets alone."""
    rows = [json.loads(line) for line in HELDOUT.read_text(encoding="utf-8").splitlines() if line.strip()]
    same = right_alone = right_after = 0
    for before, row in zip([None, *rows], rows):
        alone = pipeline.ask(row["question"], top_k)
        history = [] if before is None else [Turn(before["question"], before["answers"][0])]
        after, reading = ask(pipeline, row["question"], history, top_k)
        texts = [r.answer.text if r.answer else None for r in (alone, after)]
        same += texts[0] == texts[1]
        right_alone += right(alone, row["answers"])
        right_after += right(after, row["answers"])
        if show and texts[0] != texts[1]:
            print(f"changed: {row['question']} -> [{reading.how}] {reading.question}: {texts[0]} -> {texts[1]}")
    print(
        f"questions needing no context ({HELDOUT.name}, each after the one before): {len(rows)}, "
        f"answer unchanged {same}, right alone {right_alone}, right after a turn {right_after}"
    )


if __name__ == "__main__":
    main()
