"""Every example DAG, end to end with ``airflow dags test`` against the emulator (all five services)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.example_runs import EXAMPLES, connections, read_report

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW = str(Path(sys.executable).parent / "airflow")


@pytest.fixture(scope="module")
def airflow_home(tmp_path_factory):
    home = tmp_path_factory.mktemp("examples-home")
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "example_dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }
    env.pop("AIRFLOW__CORE__UNIT_TEST_MODE", None)
    subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    return home, env


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.dag_id)
def test_example_runs_end_to_end(airflow_home, emulator, example):
    home, base_env = airflow_home
    scenario = example.seed(emulator)
    env = dict(base_env)
    for conn_id, spec in connections(emulator.url).items():
        env[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps(spec)
    run = subprocess.run(
        [AIRFLOW, "dags", "test", example.dag_id, "--conf", json.dumps(scenario.conf)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = run.stdout + run.stderr
    expected_state = "failed" if example.run_fails else "success"
    assert f"state={expected_state}" in output, output[-5000:]
    live = emulator.live_ids(example.service)
    assert not live & set(scenario.targets), output[-3000:]
    assert set(scenario.kept) <= live
    report = read_report(str(home / "airflow.db"), example)
    assert report is not None
    assert sorted(report["deleted"]) == sorted(scenario.targets)
    assert sorted(report["already_gone"]) == sorted(scenario.already_gone)
    assert report["failed"] == {}
    for line in example.log_lines:
        assert line in output, output[-5000:]
