# Every target sets itself up: virtual environment, install, emulator start/stop.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test demo lint emulator clean chaos bench

$(STAMP): pyproject.toml
	@echo "==> creating $(VENV) and installing the provider with its test tools (first run takes a few minutes)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,bench]' 2>&1 | { grep -v '^WARNING: Location' || true; }
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check airflow_provider_jobcleanup tests example_dags demo chaos
	$(BIN)/mypy airflow_provider_jobcleanup

test: lint
	$(BIN)/pytest

demo: $(STAMP)
	$(BIN)/python demo/run_demo.py

# Chaos: 10,000 jobs per service under 30% injected faults; prints a per-service summary (a bounded version
# runs in `make test`: tests/reliability/test_chaos.py).
chaos: $(STAMP)
	$(BIN)/python -m chaos.run

# Benchmarks: every figure next to its comparison, at 0 ms and at 30 ms of emulated latency per request, measured
# in this run (about 10 minutes on 2 cores); writes benchmarks/throughput.png and benchmarks/last_run.md.
# BENCH_ARGS=--quick for a smoke run (small sizes, a few minutes); BENCH_ARGS="--results benchmarks/RESULTS.md"
# also rewrites the tables of RESULTS.md.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run_all $(BENCH_ARGS)

emulator: $(STAMP)
	$(BIN)/jobcleanup-emulator --host 127.0.0.1 --port 8765

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
