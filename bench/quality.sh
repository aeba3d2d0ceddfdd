#!/usr/bin/env bash
# Reproduce docs/quality.md: index each dataset's own contexts and score every question.
# Usage: bench/quality.sh [OUT_DIR]   (default var/eval; about 25 minutes on 2 cores)
# Environment:
#   RAGQA_DATASETS  folder with the dataset JSON files (default ../shared/datasets)
#   RAGQA_PLOT      also plot the three reports to this file (needs `pip install -e '.[plot]'`);
#                   unset, no plot is written. The tracked plot is refreshed, for the default
#                   model only, with RAGQA_PLOT=docs/quality.png bench/quality.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-var/eval}
data=${RAGQA_DATASETS:-../shared/datasets}
plot=${RAGQA_PLOT:-}
mkdir -p "$out"
for name in cmrc2018_dev DRCD_dev DRCD_test; do
    .venv/bin/ragqa eval "$data/$name.json" --build --index "$out/$name-index" --json "$out/$name.json" \
        | tee "$out/$name.txt"
done
if [[ -n $plot ]]; then
    .venv/bin/python bench/plot_quality.py "$out"/cmrc2018_dev.json "$out"/DRCD_dev.json "$out"/DRCD_test.json -o "$plot"
else
    echo "no plot written (set RAGQA_PLOT=FILE to write one)"
fi
