#!/usr/bin/env bash
# Reproduce docs/quality.md: index each dataset's own contexts and score every question.
# Usage: bench/quality.sh [OUT_DIR]   (default var/eval; about 25 minutes on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-var/eval}
data=${RAGQA_DATASETS:-../shared/datasets}
mkdir -p "$out"
for name in cmrc2018_dev DRCD_dev DRCD_test; do
    .venv/bin/ragqa eval "$data/$name.json" --build --index "$out/$name-index" --json "$out/$name.json" \
        | tee "$out/$name.txt"
done
.venv/bin/python bench/plot_quality.py "$out"/cmrc2018_dev.json "$out"/DRCD_dev.json "$out"/DRCD_test.json -o docs/quality.png
