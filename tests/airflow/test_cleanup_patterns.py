"""Cleanup after failure in real Airflow: the failure stays visible and the submitted jobs are deleted."""

from __future__ import annotations

import pytest

from airflow_provider_jobcleanup.emulator.huawei_mrs import DEFAULT_CLUSTER_ID
from tests.profiles.huawei import password_connection

CONN_ID = "hw_patterns"


@pytest.fixture
def run_dag(dagbag, emulator, monkeypatch):
    import json

    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(password_connection(emulator.url)))

    def run(dag_id, job_ids, fail):
        dag = dagbag.get_dag(dag_id)
        assert dag is not None, dagbag.import_errors
        dag_run = dag.test(
            run_conf={"conn_id": CONN_ID, "job_ids": job_ids, "cluster_id": DEFAULT_CLUSTER_ID, "fail": fail}
        )
        return dag_run, {ti.task_id: ti.state for ti in dag_run.get_task_instances()}

    return run


def test_teardown_cleans_up_and_keeps_the_failure_visible(run_dag, emulator):
    jobs = emulator.seed("mrs", 3, state="FAILED")
    other = emulator.seed("mrs", 1, state="FAILED")
    dag_run, states = run_dag("test_teardown_always", jobs, fail=True)
    assert dag_run.state == "failed", states
    assert states["work"] == "failed"
    assert states["cleanup.delete"] == "success" and states["cleanup.confirm_gone"] == "success"
    assert emulator.live_ids("mrs") == set(other)


def test_teardown_also_cleans_up_after_success(run_dag, emulator):
    jobs = emulator.seed("mrs", 2, state="FAILED")
    dag_run, states = run_dag("test_teardown_always", jobs, fail=False)
    assert dag_run.state == "success", states
    assert emulator.live_ids("mrs") == set()


def test_only_on_failure_keeps_jobs_of_a_successful_run(run_dag, emulator):
    jobs = emulator.seed("mrs", 2, state="FAILED")
    dag_run, states = run_dag("test_teardown_on_failure", jobs, fail=False)
    assert dag_run.state == "success", states
    assert states["cleanup.delete"] == "skipped"
    assert emulator.live_ids("mrs") == set(jobs)
    assert "mrs.batch_delete" not in emulator.stats()


def test_only_on_failure_cleans_up_a_failed_run(run_dag, emulator):
    jobs = emulator.seed("mrs", 2, state="FAILED")
    dag_run, states = run_dag("test_teardown_on_failure", jobs, fail=True)
    assert dag_run.state == "failed", states
    assert states["cleanup.delete"] == "success"
    assert emulator.live_ids("mrs") == set()


def test_failure_notifier_deletes_and_the_task_still_fails(run_dag, emulator):
    jobs = emulator.seed("mrs", 3, state="FAILED")
    dag_run, states = run_dag("test_failure_notifier", jobs, fail=True)
    assert dag_run.state == "failed"
    assert states["pipeline_step"] == "failed"
    assert emulator.live_ids("mrs") == set()


def test_failing_notifier_does_not_replace_the_pipeline_error(run_dag, emulator):
    dag_run, states = run_dag("test_failure_notifier", ["not-a-uuid"], fail=True)
    assert dag_run.state == "failed" and states["pipeline_step"] == "failed"
    assert emulator.stats().get("total", 0) == 0
