"""Operator behaviour outside a DAG run (dry run, caps, filters) and the trigger's serialize/run cycle."""

from __future__ import annotations

import asyncio
import time

import pytest
from airflow.sdk.module_loading import import_string

from airflow_provider_jobcleanup.emulator.huawei_mrs import DEFAULT_CLUSTER_ID
from airflow_provider_jobcleanup.exceptions import InvalidInputError, JobCleanupError
from airflow_provider_jobcleanup.operators.batch_delete import BatchDeleteJobsOperator
from airflow_provider_jobcleanup.sensors.jobs_gone import JobsGoneSensor
from airflow_provider_jobcleanup.triggers.jobs_gone import JobsGoneTrigger
from tests.profiles.huawei import password_connection

CONN_ID = "hw_unit"


class FakeTI:
    """Collects XCom pushes (the operator pushes each report field under its own key)."""

    def __init__(self):
        self.pushed = {}

    def xcom_push(self, key, value):
        self.pushed[key] = value


@pytest.fixture
def huawei_conn(emulator, monkeypatch):
    import json

    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(password_connection(emulator.url)))
    return CONN_ID


def operator(**kwargs):
    return BatchDeleteJobsOperator(
        task_id="delete", conn_id=CONN_ID, service="mrs", cluster_id=DEFAULT_CLUSTER_ID, **kwargs
    )


def test_dry_run_reads_what_exists_and_sends_no_delete(emulator, huawei_conn):
    targets = emulator.seed("mrs", 4, state="FAILED")
    never_existed = "0f0f0f0f-0000-4000-8000-000000000000"
    ti = FakeTI()
    result = operator(job_ids=[*targets, never_existed], dry_run=True).execute({"ti": ti})
    assert result["dry_run"] is True and result["deleted"] == [] and result["failed"] == {}
    assert result["would_delete"] == targets and result["already_gone"] == [never_existed]
    assert result["states"] == {job_id: "FAILED" for job_id in targets}
    assert emulator.live_ids("mrs") == set(targets)
    stats = emulator.stats()
    assert stats.get("mrs.list", 0) >= 1 and "mrs.batch_delete" not in stats
    assert ti.pushed["would_delete"] == targets


def test_max_jobs_fails_before_anything_is_deleted(emulator, huawei_conn):
    targets = emulator.seed("mrs", 5, state="FAILED")
    with pytest.raises(InvalidInputError, match="max_jobs=3"):
        operator(job_ids=targets, max_jobs=3).execute({"ti": FakeTI()})
    assert emulator.live_ids("mrs") == set(targets)


def test_filter_deletes_exactly_the_listed_snapshot_and_honours_max_jobs(emulator, huawei_conn):
    old = emulator.seed("mrs", 4, state="FAILED", age_seconds=10 * 86400)
    keep = emulator.seed("mrs", 2, state="RUNNING", age_seconds=10 * 86400)
    with pytest.raises(InvalidInputError, match="max_jobs=3"):
        operator(job_filter={"states": ["FAILED"], "older_than": "7d"}, max_jobs=3).execute({"ti": FakeTI()})
    assert "mrs.batch_delete" not in emulator.stats()
    result = operator(job_filter={"states": ["FAILED"], "older_than": "7d"}).execute({"ti": FakeTI()})
    assert sorted(result["deleted"]) == sorted(old)
    assert emulator.live_ids("mrs") == set(keep)


def test_operator_rejects_bad_arguments_at_parse_time():
    with pytest.raises(InvalidInputError, match="exactly one"):
        BatchDeleteJobsOperator(task_id="t", conn_id="c", service="mrs")
    with pytest.raises(InvalidInputError, match="unknown service"):
        BatchDeleteJobsOperator(task_id="t", conn_id="c", service="nope", job_ids=["a"])
    with pytest.raises(InvalidInputError, match="max_jobs"):
        BatchDeleteJobsOperator(task_id="t", conn_id="c", service="mrs", job_ids=["a"], max_jobs=0)


def test_empty_job_ids_is_an_error_unless_allowed(emulator, huawei_conn):
    with pytest.raises(InvalidInputError, match="empty"):
        operator(job_ids=[]).execute({"ti": FakeTI()})
    result = operator(job_ids=[], allow_empty=True).execute({"ti": FakeTI()})
    assert result["requested"] == [] and emulator.stats().get("total", 0) == 0


def test_trigger_serializes_deserializes_and_fires(emulator, huawei_conn):
    targets = emulator.seed("mrs", 2, state="FAILED")
    trigger = JobsGoneTrigger(
        conn_id=CONN_ID,
        service="mrs",
        job_ids=targets,
        service_params={"cluster_id": DEFAULT_CLUSTER_ID},
        poll_interval=0.2,
        end_time=time.time() + 30,
    )
    classpath, kwargs = trigger.serialize()
    revived = import_string(classpath)(**kwargs)
    assert revived.serialize() == (classpath, kwargs)

    async def run_until_event():
        agen = revived.run()
        task = asyncio.ensure_future(agen.__anext__())
        await asyncio.sleep(0.5)
        assert not task.done()  # the jobs still exist: it keeps polling
        from tests.integration.huawei_helpers import huawei_hook

        await asyncio.to_thread(
            lambda: huawei_hook("mrs", emulator.url).delete_jobs(targets, cluster_id=DEFAULT_CLUSTER_ID)
        )
        return await asyncio.wait_for(task, timeout=10)

    event = asyncio.run(run_until_event())
    assert event.payload == {"status": "success", "service": "mrs", "gone": targets}


def test_trigger_keeps_its_absolute_deadline(emulator, huawei_conn):
    targets = emulator.seed("mrs", 1, state="FAILED")
    deadline = time.time() + 1.0
    kwargs = dict(conn_id=CONN_ID, service="mrs", job_ids=targets, service_params={"cluster_id": DEFAULT_CLUSTER_ID})
    # A "restarted" trigger built from the same serialized kwargs stops at the same wall-clock deadline.
    first = JobsGoneTrigger(**kwargs, poll_interval=0.2, end_time=deadline)
    _, serialized = first.serialize()
    time.sleep(0.5)
    revived = JobsGoneTrigger(**serialized)

    async def first_event():
        return await revived.run().__anext__()

    event = asyncio.run(first_event())
    assert event.payload["status"] == "timeout"
    assert event.payload["remaining"] == targets
    assert abs(time.time() - deadline) < 0.5


def test_trigger_event_loop_is_not_blocked_while_polling(emulator, huawei_conn):
    """A slow service (2 s answers) must not stall the event loop: a ticker keeps ticking."""
    targets = emulator.seed("mrs", 1, state="FAILED")
    emulator.faults(rate=1.0, kinds={"slow": 1.0}, slow_seconds=1.5, services=["mrs"])
    trigger = JobsGoneTrigger(
        conn_id=CONN_ID,
        service="mrs",
        job_ids=targets,
        service_params={"cluster_id": DEFAULT_CLUSTER_ID},
        poll_interval=0.1,
        end_time=time.time() + 2.5,
    )

    async def measure():
        gaps = []
        stop = asyncio.Event()

        async def ticker():
            last = time.monotonic()
            while not stop.is_set():
                await asyncio.sleep(0.05)
                now = time.monotonic()
                gaps.append(now - last)
                last = now

        tick = asyncio.ensure_future(ticker())
        event = await trigger.run().__anext__()
        stop.set()
        await tick
        return event, max(gaps)

    event, worst_gap = asyncio.run(measure())
    assert event.payload["status"] == "timeout"
    assert worst_gap < 0.2


def test_sensor_defers_with_the_trigger_and_resumes(emulator, huawei_conn):
    from airflow.sdk.exceptions import TaskDeferred

    targets = emulator.seed("mrs", 2, state="FAILED")
    sensor = JobsGoneSensor(
        task_id="gone",
        conn_id=CONN_ID,
        service="mrs",
        cluster_id=DEFAULT_CLUSTER_ID,
        job_ids=targets,
        deferrable=True,
        timeout=60,
    )
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({})
    trigger = deferred.value.trigger
    assert isinstance(trigger, JobsGoneTrigger)
    assert trigger.job_ids == targets and trigger.end_time <= time.time() + 60
    assert deferred.value.method_name == "execute_complete"
    assert sensor.execute_complete({}, {"status": "success", "service": "mrs", "gone": targets})["gone"] == targets
    from airflow.sdk.exceptions import AirflowSensorTimeout, AirflowSkipException

    timeout = {"status": "timeout", "message": "2 of 2 mrs jobs still present"}
    with pytest.raises(AirflowSensorTimeout, match="still present"):
        sensor.execute_complete({}, timeout)
    with pytest.raises(JobCleanupError, match="HTTP 500"):
        sensor.execute_complete({}, {"status": "error", "message": "HTTP 500"})
    with pytest.raises(JobCleanupError, match="unexpected trigger event"):
        sensor.execute_complete({}, {"status": "success?"})
    sensor.soft_fail = True
    with pytest.raises(AirflowSkipException, match="still present"):
        sensor.execute_complete({}, timeout)
