# Every target sets itself up: virtual environment, install, emulator start/stop.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install test test-ui test-distributed test-airflow-min demo lint emulator clean chaos bench mutation mutation-clean

# The provider (editable) and the `dev` dependency group of pyproject.toml: test, lint, official SDKs, bench.
# `pip install --group` (PEP 735) needs pip >= 25.1, so pip is upgraded first.
$(STAMP): pyproject.toml
	@echo "==> creating $(VENV) and installing the provider with its development tools (first run takes a few minutes)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check 'pip>=25.1' 2>&1 | { grep -v '^WARNING: Location' || true; }
	$(BIN)/pip install --quiet --disable-pip-version-check -e . --group dev 2>&1 | { grep -v '^WARNING: Location' || true; }
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check airflow_provider_jobcleanup tests example_dags demo chaos
	$(BIN)/mypy airflow_provider_jobcleanup

test: lint
	$(BIN)/pytest

# Browser test of the connection forms (tests/ui): headless Debian Chromium driven by Selenium; installs the
# chromium and chromium-driver packages when absent. Screenshots land in tests/ui/screenshots/.
UI_STAMP := $(VENV)/.installed-ui
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

$(UI_STAMP): $(STAMP) pyproject.toml
	$(BIN)/pip install --quiet --disable-pip-version-check -e . --group dev --group ui-test 2>&1 | { grep -v '^WARNING: Location' || true; }
	touch $(UI_STAMP)

test-ui: $(UI_STAMP)
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		echo "==> installing Debian's chromium and chromium-driver"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver; \
	fi
	$(BIN)/pytest tests/ui -m ui -s -p no:randomly

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

# Distributed Airflow on 127.0.0.1: CeleryExecutor (two workers), PostgreSQL, Redis, two triggerers, twenty DAG
# runs, a triggerer and a worker SIGKILLed mid-run (tests/distributed; about 5 minutes on 2 cores). Installs
# PostgreSQL and Redis from Debian's packages when absent; starts and stops them itself.
DIST_STAMP := $(VENV)/.installed-distributed

$(DIST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e . --group dev --group test-distributed 2>&1 | { grep -v '^WARNING: Location' || true; }
	touch $(DIST_STAMP)

test-distributed: $(DIST_STAMP)
	@if ! command -v redis-server >/dev/null || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "==> installing PostgreSQL and Redis (Debian packages)"; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql redis-server; \
	fi
	$(BIN)/pytest tests/distributed -m distributed -p no:randomly -s

# Mutation testing of the safety core (tests/mutation_plan.py; about 50 minutes on 2 cores for all of it; not run by CI).
# MUTANTS= narrows it to mutant name patterns, e.g. MUTANTS='airflow_provider_jobcleanup.job_ids.*'.
# Prints the statuses, the surviving mutants and the score; mutants/ and its temporary files are removed.
# The tests wait on sockets more than they compute, so more children than cores keep both cores busy.
MUTATION_CHILDREN ?= 6
MUTANTS ?= $(shell cd tests && $(PYTHON) -c 'import mutation_plan; print(" ".join(mutation_plan.patterns()))')
mutation: $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e . --group mutation 2>&1 | { grep -v '^WARNING: Location' || true; }
	rm -rf mutants .mutation-tmp && mkdir .mutation-tmp
	TMPDIR=$(CURDIR)/.mutation-tmp $(BIN)/mutmut run --max-children $(MUTATION_CHILDREN) $(foreach m,$(MUTANTS),'$(m)') > .mutation-tmp/run.log 2>&1 \
		|| { tail -40 .mutation-tmp/run.log; $(MAKE) --no-print-directory mutation-clean; exit 1; }
	$(BIN)/python -m tests.mutation_report $(foreach m,$(MUTANTS),'$(m)'); status=$$?; $(MAKE) --no-print-directory mutation-clean; exit $$status

# A mutant run that mutmut kills on timeout cannot stop the emulator its test session started: stop every
# process still running in mutants/ (by pid; also in a mutants/ an interrupted run left and the next one removed),
# then remove the mutation files.
mutation-clean:
	@for proc in /proc/[0-9]*; do \
		case "$$(readlink $$proc/cwd 2>/dev/null)" in \
			"$(CURDIR)/mutants"|"$(CURDIR)/mutants (deleted)") kill $${proc#/proc/} 2>/dev/null || true;; \
		esac; \
	done
	rm -rf mutants .mutation-tmp

emulator: $(STAMP)
	$(BIN)/jobcleanup-emulator --host 127.0.0.1 --port 8765

# The lowest Airflow the package claims (pyproject: apache-airflow>=3.3.0): the Airflow-facing tests (tests/airflow)
# in a second virtual environment with Airflow $(AIRFLOW_MIN).
AIRFLOW_MIN := 3.3.0
MIN_VENV := .venv-airflow-min
MIN_STAMP := $(MIN_VENV)/.installed

$(MIN_STAMP): pyproject.toml Makefile
	@echo "==> creating $(MIN_VENV) with apache-airflow==$(AIRFLOW_MIN) and the test tools"
	$(PYTHON) -m venv $(MIN_VENV)
	$(MIN_VENV)/bin/pip install --quiet --disable-pip-version-check 'pip>=25.1' 2>&1 | { grep -v '^WARNING: Location' || true; }
	$(MIN_VENV)/bin/pip install --quiet --disable-pip-version-check -e . --group test \
		'apache-airflow==$(AIRFLOW_MIN)' 2>&1 | { grep -v '^WARNING: Location' || true; }
	touch $(MIN_STAMP)

test-airflow-min: $(MIN_STAMP)
	$(MIN_VENV)/bin/python -c "import airflow; v = airflow.__version__; assert v == '$(AIRFLOW_MIN)', v; print('Airflow', v)"
	$(MIN_VENV)/bin/pytest tests/airflow

clean:
	rm -rf $(VENV) $(MIN_VENV) .pytest_cache .mypy_cache .ruff_cache
