# Every target sets itself up: virtual environment, install, emulator start/stop.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test demo lint emulator clean chaos bench mutation mutation-clean

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

# Benchmarks: every figure next to its comparison, measured in this run (about 5 minutes on 2 cores);
# writes benchmarks/throughput.png and benchmarks/last_run.md. BENCH_ARGS=--quick for a one-minute smoke run.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run_all $(BENCH_ARGS)

# Mutation testing of the safety core (tests/mutation_plan.py; about 30 minutes on 2 cores; not run by CI).
# MUTANTS= narrows it to mutant name patterns, e.g. MUTANTS='airflow_provider_jobcleanup.job_ids.*'.
# Prints the statuses, the surviving mutants and the score; mutants/ and its temporary files are removed.
MUTANTS ?= $(shell cd tests && $(PYTHON) -c 'import mutation_plan; print(" ".join(mutation_plan.patterns()))')
mutation: $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check 'mutmut>=3.8,<4' 2>&1 | { grep -v '^WARNING: Location' || true; }
	rm -rf mutants .mutation-tmp && mkdir .mutation-tmp
	TMPDIR=$(CURDIR)/.mutation-tmp $(BIN)/mutmut run $(foreach m,$(MUTANTS),'$(m)') > .mutation-tmp/run.log 2>&1 \
		|| { tail -40 .mutation-tmp/run.log; $(MAKE) --no-print-directory mutation-clean; exit 1; }
	$(BIN)/python -m tests.mutation_report; status=$$?; $(MAKE) --no-print-directory mutation-clean; exit $$status

# A mutant run that mutmut kills on timeout cannot stop the emulator its test session started: stop every
# process still running in mutants/ (by pid), then remove the mutation files.
mutation-clean:
	@for proc in /proc/[0-9]*; do \
		if [ "$$(readlink $$proc/cwd 2>/dev/null)" = "$(CURDIR)/mutants" ]; then kill $${proc#/proc/} 2>/dev/null || true; fi; \
	done
	rm -rf mutants .mutation-tmp

emulator: $(STAMP)
	$(BIN)/jobcleanup-emulator --host 127.0.0.1 --port 8765

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
