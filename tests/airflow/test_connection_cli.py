"""``airflow connections test <conn_id>`` as a user runs it: a real CLI subprocess, the connection in an
``AIRFLOW_CONN_*`` variable (or added with ``airflow connections add``), the emulator answering."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from airflow import __version__ as airflow_version

from tests.airflow.connection_cases import CASE_IDS, CASES, Case

AIRFLOW = str(Path(sys.executable).parent / "airflow")
AIRFLOW_VERSION = tuple(int(part) for part in airflow_version.split(".")[:3] if part.isdigit())


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
        **extra,
    }
    env.pop("AIRFLOW__CORE__UNIT_TEST_MODE", None)
    return env


def airflow(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([AIRFLOW, *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_airflow_connections_test(case: Case, emulator, tmp_path):
    conn_id = "cli_" + case.name.replace("-", "_")
    env = cli_env(tmp_path, **{f"AIRFLOW_CONN_{conn_id.upper()}": case.env_value(emulator.url)})

    done = airflow(env, "connections", "test", conn_id)

    output = done.stdout + done.stderr
    print(output)  # shown with -s: what a user sees
    assert "BaseHook.__init__()" not in output
    assert case.secret not in output
    if case.ok:
        assert done.returncode == 0, output
        assert "Connection success!" in done.stdout
        assert emulator.stats().get(case.evidence, 0) == 1
    else:
        # Airflow 3.3.0 prints the failure but exits 0; later 3.3 releases exit 1
        assert done.returncode == (0 if AIRFLOW_VERSION < (3, 3, 2) else 1), output
        assert "Connection failed!" in done.stdout and "Connection success!" not in done.stdout
        assert case.evidence in done.stdout


def test_a_connection_added_with_the_cli_is_tested(emulator, tmp_path):
    """``airflow connections add`` stores it in the metadata database; the test reads it from there."""
    env = cli_env(tmp_path)
    assert airflow(env, "db", "migrate").returncode == 0
    case = next(c for c in CASES if c.name == "huaweicloud-aksk")
    added = airflow(env, "connections", "add", "hw_added", "--conn-json", case.env_value(emulator.url))
    assert added.returncode == 0, added.stdout + added.stderr

    done = airflow(env, "connections", "test", "hw_added")

    assert done.returncode == 0, done.stdout + done.stderr
    assert "Connection success!" in done.stdout
    assert emulator.stats()["dli.list"] == 1


def test_the_cli_says_when_testing_is_disabled(emulator, tmp_path):
    case = CASES[0]
    env = cli_env(tmp_path, AIRFLOW_CONN_HW=case.env_value(emulator.url), AIRFLOW__CORE__TEST_CONNECTION="Disabled")
    done = airflow(env, "connections", "test", "hw")
    assert done.returncode == 1
    assert "Testing connections is disabled" in done.stdout
    assert emulator.stats().get("total", 0) == 0
