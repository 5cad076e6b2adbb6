"""A real Airflow deployment: scheduler, DAG processor, triggerer, API server and LocalExecutor (the components
``airflow standalone`` runs, started one by one so that the API server binds 127.0.0.1 and no log server opens a
port on every interface). A DAG run is triggered through the CLI; its deferrable sensor must wait in the
triggerer process while the jobs exist, then the run must succeed once they are deleted.

Each component runs in its own session and is stopped with its whole process group (executor workers
included) whatever the outcome of the test."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from airflow_provider_jobcleanup.emulator.huawei_mrs import DEFAULT_CLUSTER_ID
from tests import processes
from tests.emulator_client import free_port
from tests.integration.huawei_helpers import huawei_hook
from tests.profiles.huawei import password_connection

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DAG_ID = "test_wait_mrs_deferrable"
CONN_ID = "hw_standalone"
JOBS = ("SchedulerJob", "DagProcessorJob", "TriggererJob")


def wait_for(what: str, check, timeout: float, log: Path):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}; log tail:\n{log.read_text()[-6000:]}")


def query(db: Path, sql: str, *args):
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute(sql, args).fetchall()
    except sqlite3.OperationalError:  # not created yet, or locked for a moment
        return []


@pytest.fixture
def standalone(tmp_path, emulator):
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "tests" / "dags"),
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__PORT": str(port),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
        f"AIRFLOW_CONN_{CONN_ID.upper()}": json.dumps(password_connection(emulator.url)),
    }
    env.pop("AIRFLOW__CORE__UNIT_TEST_MODE", None)
    log = tmp_path / "standalone.log"
    db = tmp_path / "airflow.db"
    airflow = str(BIN / "airflow")
    subprocess.run([airflow, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    components = [
        ["scheduler", "--skip-serve-logs"],
        ["dag-processor"],
        ["triggerer", "--skip-serve-logs"],
        ["api-server", "--host", "127.0.0.1", "--port", str(port)],
    ]
    started = []
    try:
        with log.open("a") as out:
            for args in components:
                started.append(processes.start([airflow, *args], env=env, stdout=out, stderr=subprocess.STDOUT))

        def ready():
            running = {row[0] for row in query(db, "SELECT job_type FROM job WHERE state='running'")}
            return running >= set(JOBS) and api_healthy(port)

        wait_for("Airflow to be ready", ready, 240, log)
        yield env, db, log
    finally:
        for proc in started:
            processes.stop(proc)


def api_healthy(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=5).ok
    except requests.RequestException:
        return False


def test_deferrable_sensor_waits_in_the_triggerer_then_the_run_succeeds(standalone, emulator):
    env, db, log = standalone
    targets = emulator.seed("mrs", 3, state="FAILED")
    conf = {"conn_id": CONN_ID, "job_ids": targets, "service_params": {"cluster_id": DEFAULT_CLUSTER_ID}}
    wait_for("the DAG to be parsed", lambda: query(db, "SELECT 1 FROM dag WHERE dag_id=?", DAG_ID), 180, log)

    def trigger():
        done = subprocess.run(
            [str(BIN / "airflow"), "dags", "trigger", DAG_ID, "--conf", json.dumps(conf)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return done.returncode == 0

    wait_for("the CLI to trigger the run", trigger, 120, log)
    wait_for(
        "the sensor to be deferred",
        lambda: query(db, "SELECT 1 FROM task_instance WHERE dag_id=? AND state='deferred'", DAG_ID),
        180,
        log,
    )
    # Delete only once the deferring worker has exited: Airflow 3.3's scheduler can fail a task whose trigger
    # fires before the executor reported the deferral (apache/airflow#66374, #67287, #72716).
    wait_for("the deferring worker to exit", lambda: "final_state=deferred" in log.read_text(), 120, log)
    wait_for("the triggerer to poll", lambda: emulator.stats().get("mrs.list", 0) >= 3, 60, log)
    assert query(db, "SELECT state FROM dag_run WHERE dag_id=?", DAG_ID) == [("running",)]

    huawei_hook("mrs", emulator.url).delete_jobs(targets, cluster_id=DEFAULT_CLUSTER_ID)
    final = wait_for(
        "the run to finish",
        lambda: [r for r in query(db, "SELECT state FROM dag_run WHERE dag_id=?", DAG_ID) if r[0] != "running"],
        180,
        log,
    )
    assert final == [("success",)], log.read_text()[-6000:]
    assert query(db, "SELECT state FROM task_instance WHERE dag_id=?", DAG_ID) == [("success",)]
