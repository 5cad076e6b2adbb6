"""In real Airflow (``dag.test()``): which failures Airflow retries, delete-and-wait in one task, and a
delete mapped over two MRS clusters."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_jobcleanup.emulator.huawei_mrs import DEFAULT_CLUSTER_ID
from tests.profiles.huawei import password_connection

CONN_ID = "hw_retries"
PARAMS = {"cluster_id": DEFAULT_CLUSTER_ID}
OTHER_CLUSTER = "7b9d8a3f-2c4e-4f6a-9bac-1d2e3f4a5b6c"  # the second cluster of test_mapped_clusters_mrs


@pytest.fixture
def run_dag(dagbag, emulator, monkeypatch):
    def run(dag_id: str, job_ids: list[str] | None = None, **connection_changes: Any):
        connection = password_connection(emulator.url)
        connection["extra"].update(connection_changes.pop("extra", {}))
        connection.update(connection_changes)
        monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(connection))
        dag = dagbag.get_dag(dag_id)
        assert dag is not None, dagbag.import_errors
        dag_run = dag.test(run_conf={"conn_id": CONN_ID, "job_ids": job_ids or [], "service_params": PARAMS})
        return dag_run, {(ti.task_id, ti.map_index): ti for ti in dag_run.get_task_instances()}

    return run


def xcom(dag_run, key: str = "return_value", map_index: int = -1) -> Any:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        query = XComModel.get_many(
            run_id=dag_run.run_id, dag_ids=dag_run.dag_id, task_ids="delete", key=key, map_indexes=map_index
        )
        row = session.scalars(query).first()
        return None if row is None else XComModel.deserialize_value(row)


# ------------------------------------------------------------------------------------------------ retries
def test_invalid_input_fails_at_once_without_retries(run_dag, emulator):
    dag_run, tis = run_dag("test_retries_mrs", ["not-a-uuid"])
    ti = tis[("delete", -1)]
    assert dag_run.state == "failed"
    assert (ti.state, ti.try_number, ti.max_tries) == ("failed", 1, 2)
    assert emulator.stats().get("total", 0) == 0


def test_refused_credentials_fail_at_once_without_retries(run_dag, emulator):
    jobs = emulator.seed("mrs", 2, state="FAILED")
    dag_run, tis = run_dag("test_retries_mrs", jobs, password="wrong-password")
    ti = tis[("delete", -1)]
    assert (dag_run.state, ti.state, ti.try_number) == ("failed", "failed", 1)
    assert emulator.stats().get("iam.tokens", 0) == 1  # one try, and the transport did not retry a 401 either
    assert emulator.live_ids("mrs") == set(jobs)


def test_an_outage_that_outlasts_the_per_call_retries_is_retried_by_airflow(run_dag, emulator):
    jobs = emulator.seed("mrs", 2, state="FAILED")
    emulator.faults(rate=1.0, kinds={"unavailable": 1.0}, services=["mrs"])
    dag_run, tis = run_dag("test_retries_mrs", jobs, extra={"max_attempts": 2})
    ti = tis[("delete", -1)]
    assert (dag_run.state, ti.state, ti.try_number) == ("failed", "failed", 3)  # retries=2: three tries
    assert emulator.stats()["mrs.list"] == 3 * 2  # each try: one status read, sent twice by the transport
    assert emulator.live_ids("mrs") == set(jobs)


def test_jobs_that_could_not_be_deleted_are_retried_and_the_retry_sends_only_those(run_dag, emulator):
    done = emulator.seed("mrs", 3, state="FAILED")
    running = emulator.seed("mrs", 1, state="RUNNING")
    dag_run, tis = run_dag("test_retries_mrs", [*done, *running])
    ti = tis[("delete", -1)]
    assert (dag_run.state, ti.state, ti.try_number) == ("failed", "failed", 3)
    report = xcom(dag_run)  # the last try's report: the first try deleted the others
    assert sorted(report["already_gone"]) == sorted(done) and report["deleted"] == []
    assert list(report["failed"]) == running
    assert emulator.live_ids("mrs") == set(running)


# ------------------------------------------------------------------------------------------------ waits
@pytest.mark.parametrize("mode", ["worker", "deferrable"])
def test_delete_and_wait_confirms_the_deleted_jobs_gone(run_dag, emulator, mode):
    jobs = emulator.seed("mrs", 3, state="FAILED")
    never_existed = "0f0f0f0f-0000-4000-8000-000000000000"
    dag_run, tis = run_dag(f"test_delete_and_wait_mrs_{mode}", [*jobs, never_existed])
    ti = tis[("delete", -1)]
    assert (dag_run.state, ti.state, ti.try_number) == ("success", "success", 1)
    report = xcom(dag_run)
    assert sorted(report["deleted"]) == sorted(jobs) and report["already_gone"] == [never_existed]
    assert sorted(report["confirmed_gone"]) == sorted(jobs)
    assert sorted(xcom(dag_run, "confirmed_gone")) == sorted(jobs)
    assert emulator.live_ids("mrs") == set()
    assert emulator.stats()["mrs.list"] >= 2  # read before the delete, then at least one confirming check


# ------------------------------------------------------------------------------------------------ mapping
def test_delete_mapped_over_two_clusters(run_dag, emulator, capfd):
    first = emulator.seed("mrs", 2, state="FAILED")
    second = emulator.seed("mrs", 3, state="FAILED", attrs={"cluster_id": OTHER_CLUSTER})
    kept = emulator.seed("mrs", 1, state="RUNNING") + emulator.seed(
        "mrs", 1, state="RUNNING", attrs={"cluster_id": OTHER_CLUSTER}
    )
    dag_run, tis = run_dag("test_mapped_clusters_mrs")
    assert dag_run.state == "success", {key: ti.state for key, ti in tis.items()}
    assert sorted(key for key in tis) == [("delete", 0), ("delete", 1)]
    assert [tis[("delete", i)].rendered_map_index for i in (0, 1)] == [DEFAULT_CLUSTER_ID, OTHER_CLUSTER]
    assert sorted(xcom(dag_run, map_index=0)["confirmed_gone"]) == sorted(first)
    assert sorted(xcom(dag_run, map_index=1)["confirmed_gone"]) == sorted(second)
    assert emulator.live_ids("mrs") == set(kept)
    log = capfd.readouterr().out
    for cluster, jobs in ((DEFAULT_CLUSTER_ID, first), (OTHER_CLUSTER, second)):  # each mapped task names its own
        assert f"mrs cluster {cluster}: deleting {len(jobs)} jobs" in log
        assert f"mrs cluster {cluster}: all {len(jobs)} deleted jobs confirmed gone" in log
