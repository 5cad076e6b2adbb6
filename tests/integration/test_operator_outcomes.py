"""The operator's outcomes without a DAG run (fast, against the emulator): a partial failure fails the task
and still publishes the report, a run stopped part-way publishes what it did, ``only_on_failure`` skips unless
an upstream task failed, and the sensor's resumed XCom is the trigger's event."""

from __future__ import annotations

import json
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowSkipException

from airflow_provider_jobcleanup.exceptions import AuthenticationError, JobCleanupError
from airflow_provider_jobcleanup.models import DeletionReport
from airflow_provider_jobcleanup.operators.batch_delete import BatchDeleteJobsOperator, _failure_message
from airflow_provider_jobcleanup.progress import preview
from airflow_provider_jobcleanup.sensors.jobs_gone import JobsGoneSensor
from tests.profiles.scnet import scnet_password_connection

CONN_ID = "scnet_outcomes"


class FakeTI:
    """Collects XCom pushes; answers ``get_task_states`` with the given upstream states."""

    dag_id, run_id = "dag", "run"

    def __init__(self, upstream: dict[str, str] | None = None) -> None:
        self.pushed: dict[str, Any] = {}
        self.upstream = upstream or {}
        self.asked: list[dict[str, Any]] = []

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value

    def get_task_states(self, **kwargs: Any) -> dict[str, dict[str, str]]:
        self.asked.append(kwargs)
        return {self.run_id: dict(self.upstream)}


@pytest.fixture
def scnet_conn(emulator, monkeypatch) -> str:
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(scnet_password_connection(emulator.url)))
    return CONN_ID


def operator(**kwargs: Any) -> BatchDeleteJobsOperator:
    return BatchDeleteJobsOperator(task_id="delete", conn_id=CONN_ID, service="scnet", **kwargs)


def test_a_partial_failure_fails_the_task_and_publishes_the_whole_report(emulator, scnet_conn):
    mine = emulator.seed("scnet", 2)
    [bobs] = emulator.seed("scnet", 1, attrs={"user": "bob"})
    ti = FakeTI()
    with pytest.raises(JobCleanupError) as caught:
        operator(job_ids=[*mine, f"bob:{bobs}"]).execute({"ti": ti})
    message = str(caught.value)
    assert message.startswith("1 of 3 scnet jobs could not be deleted (2 deleted, 0 already gone):\n  ")
    assert f"bob:{bobs}: " in message and "permission denied" in message.lower()
    assert ti.pushed["deleted"] == mine and list(ti.pushed["failed"]) == [f"bob:{bobs}"]
    assert ti.pushed["return_value"]["deleted"] == mine
    assert ti.pushed["return_value"]["failed"] == ti.pushed["failed"]
    assert ti.pushed["dry_run"] is False


def test_a_run_stopped_part_way_publishes_what_it_did(emulator, scnet_conn, monkeypatch):
    targets = emulator.seed("scnet", 2)
    spec = scnet_password_connection(emulator.url)
    spec["password"] = "Not-The-Password-8"
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(spec))
    ti = FakeTI()
    with pytest.raises(AuthenticationError):
        operator(job_ids=targets).execute({"ti": ti})
    assert ti.pushed["deleted"] == [] and ti.pushed["already_gone"] == []
    assert ti.pushed["requested"] == targets and ti.pushed["return_value"]["requested"] == targets
    assert emulator.live_ids("scnet") == set(targets)


def test_only_on_failure_skips_with_an_empty_report_unless_an_upstream_task_failed(emulator, scnet_conn):
    targets = emulator.seed("scnet", 1)
    for quiet in ({}, {"a": "success"}, {"a": "success", "b": "skipped"}):
        task = operator(job_ids=targets, only_on_failure=True)
        ti = FakeTI(upstream=quiet)
        with pytest.raises(AirflowSkipException, match="no upstream task failed"):
            task.execute({"ti": ti})
        assert ti.pushed["requested"] == [] and ti.pushed["deleted"] == [] and ti.pushed["service"] == "scnet"
    assert emulator.live_ids("scnet") == set(targets)
    for failed in ("failed", "upstream_failed"):
        ti = FakeTI(upstream={"a": "success", "b": failed})
        result = operator(job_ids=targets, only_on_failure=True).execute({"ti": ti})
        assert ti.asked == [{"dag_id": "dag", "task_ids": [], "run_ids": ["run"]}]
        assert result["requested"] == targets
    assert emulator.live_ids("scnet") == set()


def test_the_sensor_returns_the_trigger_s_event_as_its_xcom():
    sensor = JobsGoneSensor(task_id="gone", conn_id="c", service="mrs", cluster_id="x", job_ids=["a"])
    event = {"status": "success", "service": "mrs", "gone": ["a", "b"]}
    assert sensor.execute_complete({}, event) == {"service": "mrs", "gone": ["a", "b"]}
    assert sensor.execute_complete({}, {"status": "success", "service": "mrs"}) == {"service": "mrs", "gone": []}
    with pytest.raises(JobCleanupError, match=r"unexpected trigger event \{\}"):
        sensor.execute_complete({}, None)


def test_the_failure_message_and_preview_name_jobs_up_to_their_limits():
    assert preview([str(i) for i in range(3)]) == "0, 1, 2"
    assert preview([str(i) for i in range(22)], limit=20) == ", ".join(str(i) for i in range(20)) + (
        " ... and 2 more"
    )
    assert preview([str(i) for i in range(20)]) == ", ".join(str(i) for i in range(20))
    report = DeletionReport(service="mrs", requested=[f"j{i}" for i in range(25)])
    report.deleted = ["j0"]
    report.already_gone = ["j1", "j2"]
    report.failed = {f"j{i}": "refused" for i in range(3, 25)}
    lines = _failure_message(report).split("\n  ")
    assert lines[0] == "22 of 25 mrs jobs could not be deleted (1 deleted, 2 already gone):"
    assert lines[1:21] == [f"j{i}: refused" for i in range(3, 23)] and lines[21:] == ["... and 2 more"]
    report.failed = {"j3": "refused"}
    assert _failure_message(report).split("\n  ")[1:] == ["j3: refused"]
