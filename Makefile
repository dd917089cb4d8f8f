# dmreports: `make run` sets everything up, ingests corpus/ and serves the UI;
# `make test` sets everything up and runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint bench setup system-deps corpus clean

setup: $(STAMP)

$(STAMP): pyproject.toml setup.py ingest/pdf/_charcalls.c
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "dmreports needs Python 3.11 or newer"; exit 1; }
	@$(PYTHON) -m venv --help >/dev/null 2>&1 || $(MAKE) system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --editable . --group dev
	touch $(STAMP)

# Debian packages the suite needs, installed only when missing.
system-deps:
	@missing=""; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	$(PYTHON) -c 'import ensurepip' >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

run: setup
	$(BIN)/dmreports ingest corpus/
	$(BIN)/dmreports serve --host $(HOST) --port $(PORT)

test: setup system-deps
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# BENCH_ARGS=--quick for a run of about a minute; see `python -m bench --help`.
bench: setup
	$(BIN)/python -m bench $(BENCH_ARGS)

corpus: setup
	$(BIN)/python corpus/build.py

clean:
	rm -rf $(VENV) instance .pytest_cache build ingest/pdf/_charcalls.*.so
