"""Plot `ragqa eval` reports: recall@k curves and EM/F1 bars, one colour per dataset.

    .venv/bin/python bench/plot_quality.py REPORT.json [REPORT.json ...] -o docs/quality.png

Needs matplotlib (`pip install -e '.[plot]'`).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display on servers and CI
import matplotlib.pyplot as plt

KS = (1, 5, 10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("reports", nargs="+", type=Path)
    parser.add_argument("-o", "--output", type=Path, default=Path("docs/quality.png"))
    args = parser.parse_args()
    rows = []
    for path in args.reports:
        data = json.loads(path.read_text(encoding="utf-8"))
        for name, figures in data["datasets"].items():
            rows.append((name, figures, data["settings"]))
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=120)
    for name, figures, _ in rows:
        left.plot(KS, [figures[f"recall@{k}"] for k in KS], marker="o", label=name)
    left.set(title="Passage recall@k (gold answer in a top-k passage)", xlabel="k", ylabel="recall", xticks=KS)
    left.set_ylim(min(0.7, min(f["recall@1"] for _, f, _ in rows) - 0.05), 1.0)
    left.grid(alpha=0.3)
    left.legend(loc="lower right")
    width = 0.38
    positions = range(len(rows))
    em = [f["em"] for _, f, _ in rows]
    f1 = [f["f1"] for _, f, _ in rows]
    bars_em = right.bar([p - width / 2 for p in positions], em, width, label="EM", color="#1f5fbf")
    bars_f1 = right.bar([p + width / 2 for p in positions], f1, width, label="F1", color="#f0a000")
    right.bar_label(bars_em, fmt="%.1f", fontsize=8)
    right.bar_label(bars_f1, fmt="%.1f", fontsize=8)
    right.set_xticks(list(positions), [name for name, _, _ in rows])
    right.set(title="Answer exact match and F1 (CMRC 2018 scoring)", ylabel="score (0-100)")
    right.set_ylim(0, 100)
    right.grid(axis="y", alpha=0.3)
    right.legend()
    settings = rows[0][2]
    fig.suptitle(
        f"ragqa {settings.get('reader', '')} · model {settings.get('model')} · top_k {settings.get('top_k')}"
        f" · {settings.get('date')}",
        fontsize=10,
    )
    fig.tight_layout()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
