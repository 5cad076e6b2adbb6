"""Shared fixtures. Airflow is configured (temporary AIRFLOW_HOME, no examples, our DAG folder) before any
test module imports it; the emulator runs as a real subprocess on a free port for the whole session."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_home = tempfile.mkdtemp(prefix="jobcleanup-airflow-")
os.environ.setdefault("AIRFLOW_HOME", _home)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(ROOT / "tests" / "dags")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")

import pytest  # noqa: E402

from tests.emulator_client import EmulatorAdmin  # noqa: E402


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
