#!/bin/sh
# Make bench/.venv-txtai, the peer benchmark's own environment (txtai is never a ragqa dependency).
# Idempotent: a package already at its pinned version is not reinstalled. Run from anywhere.
set -eu
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${VENV:-bench/.venv-txtai}
BIN=$VENV/bin
# Torch first and pinned, exactly as the Makefile's `make setup`: the CPU build comes from this machine's
# pip configuration (local wheels); an unpinned torch, pulled in by txtai, would be a multi-GB CUDA build.
TORCH=torch==2.13.0
# txtai's base install covers Embeddings (transformers mean pooling over a local folder, faiss), BM25
# scoring with a terms index and the Extractor/Questions pipeline; jieba tokenises BM25 and OpenCC serves
# `peer_txtai.py --fold` (Traditional -> Simplified, as ragqa's reader reads). sentence-transformers and
# txtai's extras are not needed.
PACKAGES="txtai==9.14.0 jieba faiss-cpu OpenCC"

test -x $BIN/python || $PYTHON -m venv $VENV
installed() { $BIN/python -c "import importlib.metadata as m, sys; sys.exit(m.version('$1') != '$2')" 2>/dev/null; }
installed torch 2.13.0+cpu || installed torch 2.13.0 || $BIN/pip install -q $TORCH
if installed txtai 9.14.0 && $BIN/python -c "import jieba, faiss, opencc" 2>/dev/null; then
    echo "$VENV is ready"
else
    $BIN/pip install -q $PACKAGES
    echo "$VENV installed: $($BIN/python -c 'import importlib.metadata as m; print("txtai", m.version("txtai"), "torch", m.version("torch"))')"
fi
