"""Shared fixtures. Airflow is configured (temporary AIRFLOW_HOME, no examples, our DAG folder) before any
test module imports it; the emulator runs as a real subprocess on a free port for the whole session.

Every temporary file of the run, of this process and of the processes it starts, goes below one folder of its
own (``TMPDIR``); at the end the session fails if a process it started is still running, a socket is still
listening or something is left in that folder (see ``tests/leftovers.py``), and the folder is removed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# pytest's own tmp_path folders stay where pytest keeps (and rotates) them
os.environ.setdefault("PYTEST_DEBUG_TEMPROOT", tempfile.gettempdir())
RUN_TMP = Path(tempfile.mkdtemp(prefix="jobcleanup-tests-"))
os.environ["TMPDIR"] = tempfile.tempdir = str(RUN_TMP)
_home = RUN_TMP / "airflow-home"
_home.mkdir()
os.environ.setdefault("AIRFLOW_HOME", str(_home))
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "tests" / "dags")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")

import pytest  # noqa: E402

from tests.emulator_client import EmulatorAdmin  # noqa: E402
from tests.leftovers import Baseline, check  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def nothing_left_behind():
    """Fails the session (an error at teardown, so a non-zero exit) when the run leaves processes, listening
    sockets or temporary files behind. Set up before any other fixture, so it checks after all are torn down."""
    if "MUTANT_UNDER_TEST" in os.environ:
        # mutmut runs each mutant's session in a fork of one process: sibling forks share its process group
        # and folder, so they would be taken for leftovers (and killed); `make mutation` stops what is left
        yield
        return
    baseline = Baseline.take(ROOT, RUN_TMP, expected=frozenset({_home.name}))
    yield
    problems = check(baseline)
    if problems:
        pytest.fail("the test run left behind:\n  " + "\n  ".join(problems), pytrace=False)


def pytest_collection_modifyitems(config, items):
    """Under `make mutation`, only the tests planned for the mutated module run (tests/mutation_plan.py)."""
    from tests.mutation_plan import tests_for

    allowed = tests_for(os.environ.get("MUTANT_UNDER_TEST", ""))
    if allowed is None:
        return
    keep = [item for item in items if item.nodeid.removeprefix("mutants/").startswith(allowed)]
    dropped = [item for item in items if item not in keep]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep


def pytest_sessionfinish(session):
    # mutation testing runs many sessions in one process (and its forks): the folder outlives each of them,
    # and `make mutation` removes it with the rest of its files
    if "MUTANT_UNDER_TEST" not in os.environ:
        shutil.rmtree(RUN_TMP, ignore_errors=True)


@pytest.fixture(scope="session")
def emulator_url(jobcleanup_emulator_process):
    """Base URL of the emulator process that lives for the whole test session: the one the package's pytest
    plugin starts for ``jobcleanup_emulator``, so both fixtures share it."""
    return jobcleanup_emulator_process.url


@pytest.fixture
def emulator(emulator_url) -> EmulatorAdmin:
    """Admin client of the session emulator, reset before each test."""
    admin = EmulatorAdmin(emulator_url)
    admin.reset()
    from airflow_provider_jobcleanup.auth.token_cache import clear_shared_providers

    clear_shared_providers()
    return admin
