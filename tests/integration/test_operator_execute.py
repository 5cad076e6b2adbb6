"""The operator's ``execute`` without a DAG run (fast, against the emulator over HTTP): what it sends, what it
publishes to XCom, what it logs, and how it waits. The same paths run under real Airflow in
``tests/airflow/``; these pin each promise one by one."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from airflow.sdk import DAG
from airflow.sdk.exceptions import AirflowSkipException, TaskDeferred
from structlog.testing import capture_logs

from airflow_provider_jobcleanup.emulator.scnet import MANAGER_IDS
from airflow_provider_jobcleanup.exceptions import (
    InvalidInputError,
    JobCleanupError,
    JobsNotDeletedError,
    JobsStillPresentError,
    PermanentError,
)
from airflow_provider_jobcleanup.models import JobFilter
from airflow_provider_jobcleanup.operators.batch_delete import DEFERRAL_MARGIN, BatchDeleteJobsOperator
from airflow_provider_jobcleanup.triggers.jobs_gone import JobsGoneTrigger
from tests.profiles.scnet import scnet_password_connection

CONN_ID = "scnet_execute"
MANAGER = MANAGER_IDS[0]
#: how the task's log lines name what it works on
LABEL = f"scnet job manager {MANAGER}"
REPORT_KEYS = {
    "service", "requested", "deleted", "already_gone", "failed", "dry_run", "api_calls", "would_delete", "states",
    "confirmed_gone",
}  # fmt: skip


class RecordingTI:
    """Records XCom pushes and pulls; answers ``get_task_states`` with the given upstream states."""

    dag_id, run_id, task_id, map_index = "dag", "run", "delete", -1

    def __init__(self, upstream: dict[str, str] | None = None, stored: Any = None) -> None:
        self.pushed: dict[str, Any] = {}
        self.upstream = upstream or {}
        self.asked: list[dict[str, Any]] = []
        self.pulled: list[dict[str, Any]] = []
        self.stored = stored

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value

    def xcom_pull(self, **kwargs: Any) -> Any:
        self.pulled.append(kwargs)
        return self.stored

    def get_task_states(self, **kwargs: Any) -> dict[str, dict[str, str]]:
        self.asked.append(kwargs)
        return {self.run_id: dict(self.upstream)}


@pytest.fixture(autouse=True)
def scnet_conn(emulator, monkeypatch) -> str:
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(scnet_password_connection(emulator.url)))
    return CONN_ID


def operator(**kwargs: Any) -> BatchDeleteJobsOperator:
    return BatchDeleteJobsOperator(task_id="delete", conn_id=CONN_ID, service="scnet", job_manager_id=MANAGER, **kwargs)


def run(task: BatchDeleteJobsOperator, ti: RecordingTI) -> tuple[Any, list[str]]:
    """``execute`` the task; its return value and the log lines it wrote."""
    with capture_logs() as logs:
        result = task.execute({"ti": ti})  # type: ignore[arg-type]
    return result, [entry["event"] for entry in logs]


def test_a_delete_returns_and_pushes_the_report_and_logs_its_summary(emulator):
    targets = emulator.seed("scnet", 3)
    ti = RecordingTI()
    result, lines = run(operator(job_ids=targets), ti)
    assert set(result) == REPORT_KEYS
    assert result["requested"] == targets and result["deleted"] == targets
    assert result["service"] == "scnet" and result["dry_run"] is False and result["failed"] == {}
    assert {key: ti.pushed[key] for key in result} == result  # each field under its own key
    assert "return_value" not in ti.pushed  # Airflow pushes the return value itself
    assert emulator.live_ids("scnet") == set()
    assert lines[0] == f"{LABEL}: deleting 3 jobs"
    calls = result["api_calls"]
    assert f"{LABEL}: requested 3, deleted 3, already gone 0, failed 0, api calls {calls}" in lines
    assert f"{LABEL}: deleted: {', '.join(targets)}" in lines
    assert not any("already gone (" in line for line in lines)


def test_jobs_already_gone_are_logged_as_such(emulator):
    targets = emulator.seed("scnet", 2)
    operator(job_ids=targets[:1]).execute({"ti": RecordingTI()})  # type: ignore[arg-type]
    result, lines = run(operator(job_ids=targets), RecordingTI())
    assert result["already_gone"] == targets[:1] and result["deleted"] == targets[1:]
    assert (
        f"{LABEL}: already gone (not found, or already in the deleted state; nothing to delete): {targets[0]}"
    ) in lines


def test_a_dry_run_reports_what_it_would_delete_and_sends_no_delete(emulator):
    targets = emulator.seed("scnet", 2)
    ti = RecordingTI()
    result, lines = run(operator(job_ids=targets, dry_run=True), ti)
    assert result["dry_run"] is True and ti.pushed["dry_run"] is True
    assert result["would_delete"] == targets and result["deleted"] == []
    assert emulator.live_ids("scnet") == set(targets)
    states = ", ".join(f"{job} ({result['states'][job]})" for job in targets)
    assert f"{LABEL}: dry run: would delete 2 jobs: {states}; 0 already gone" in lines
    assert any(line.endswith(" (dry run)") and "requested 2, deleted 0" in line for line in lines)


def test_a_failed_job_fails_the_task_after_pushing_the_report(emulator):
    mine = emulator.seed("scnet", 1)
    [bobs] = emulator.seed("scnet", 1, attrs={"user": "bob"})
    ti = RecordingTI()
    with pytest.raises(JobsNotDeletedError) as caught:
        operator(job_ids=[*mine, f"bob:{bobs}"]).execute({"ti": ti})  # type: ignore[arg-type]
    assert str(caught.value).startswith("1 of 2 scnet jobs could not be deleted (1 deleted, 0 already gone):")
    assert ti.pushed["return_value"]["failed"] == ti.pushed["failed"] and f"bob:{bobs}" in ti.pushed["failed"]


def test_the_filter_deletes_the_listed_snapshot_and_logs_it(emulator):
    targets = emulator.seed("scnet", 2, state="statQ")
    others = emulator.seed("scnet", 1, state="statR")
    job_filter = JobFilter(states=["statQ"])
    result, lines = run(operator(job_filter=job_filter), RecordingTI())
    assert sorted(result["deleted"]) == sorted(targets)
    assert emulator.live_ids("scnet") == set(others)
    assert f"{LABEL}: filter {job_filter.to_dict()} matched 2 jobs" in lines


def test_a_filter_matching_nothing_deletes_nothing(emulator):
    others = emulator.seed("scnet", 1, state="statR")
    result, lines = run(operator(job_filter={"states": ["statQ"]}), RecordingTI())
    assert result["requested"] == [] and result["deleted"] == []
    assert emulator.live_ids("scnet") == set(others)
    assert f"{LABEL}: no jobs to delete" in lines


def test_a_filter_matching_more_than_max_jobs_deletes_nothing(emulator):
    targets = emulator.seed("scnet", 3, state="statQ")
    with pytest.raises(InvalidInputError, match="max_jobs"):
        operator(job_filter={"states": ["statQ"]}, max_jobs=2).execute({"ti": RecordingTI()})  # type: ignore[arg-type]
    assert emulator.live_ids("scnet") == set(targets)


@pytest.mark.parametrize("empty", [[], (), "", "[]"])
def test_allow_empty_accepts_every_empty_form(empty):
    result, lines = run(operator(job_ids=empty, allow_empty=True), RecordingTI())
    assert result["requested"] == [] and result["api_calls"] == 0
    assert lines[-1].endswith("requested 0, deleted 0, already gone 0, failed 0, api calls 0")


def test_more_jobs_than_max_jobs_fails_before_any_request(emulator):
    targets = emulator.seed("scnet", 3)
    with pytest.raises(InvalidInputError, match="max_jobs"):
        operator(job_ids=targets, max_jobs=2).execute({"ti": RecordingTI()})  # type: ignore[arg-type]
    assert emulator.live_ids("scnet") == set(targets)
    assert sum(emulator.stats().values()) == 0


def test_only_on_failure_asks_for_the_states_of_the_direct_upstream_tasks(emulator):
    targets = emulator.seed("scnet", 1)
    with DAG("cleanup_dag", schedule=None):
        task = operator(job_ids=targets, only_on_failure=True)
        for name in ("b_upstream", "a_upstream"):
            BatchDeleteJobsOperator(task_id=name, conn_id=CONN_ID, service="scnet", job_ids=["1"]) >> task
    ti = RecordingTI(upstream={"a_upstream": "success", "b_upstream": "success"})
    with capture_logs() as logs, pytest.raises(AirflowSkipException) as skipped:
        task.execute({"ti": ti})  # type: ignore[arg-type]
    assert str(skipped.value) == "only_on_failure: no upstream task failed, so there is nothing to clean up"
    assert ti.asked == [{"dag_id": "dag", "task_ids": ["a_upstream", "b_upstream"], "run_ids": ["run"]}]
    assert "only_on_failure: upstream states ['success', 'success']" in [entry["event"] for entry in logs]
    empty = {key: ti.pushed[key] for key in REPORT_KEYS}
    assert empty == {
        "service": "scnet", "requested": [], "deleted": [], "already_gone": [], "failed": {}, "dry_run": False,
        "api_calls": 0, "would_delete": [], "states": {}, "confirmed_gone": [],
    }  # fmt: skip
    assert emulator.live_ids("scnet") == set(targets)


def test_only_on_failure_skips_with_a_dry_run_report_when_dry_run(emulator):
    ti = RecordingTI()
    with pytest.raises(AirflowSkipException):
        operator(job_ids=["1"], only_on_failure=True, dry_run=True).execute({"ti": ti})  # type: ignore[arg-type]
    assert ti.pushed["dry_run"] is True and ti.pushed["service"] == "scnet"


def test_only_on_failure_without_a_service_skips_without_reading_the_connection():
    ti = RecordingTI()
    task = BatchDeleteJobsOperator(task_id="t", conn_id="no_such_connection", job_ids=["1"], only_on_failure=True)
    with pytest.raises(AirflowSkipException):
        task.execute({"ti": ti})  # type: ignore[arg-type]
    assert ti.pushed["service"] == "" and ti.pushed["requested"] == []


def test_wait_for_completion_polls_until_gone_and_confirms(emulator):
    targets = emulator.seed("scnet", 2)
    ti = RecordingTI()
    result, lines = run(operator(job_ids=targets, wait_for_completion=True, poll_interval=0.2, timeout=30), ti)
    assert result["confirmed_gone"] == targets and result["deleted"] == targets
    assert ti.pushed["confirmed_gone"] == targets
    # the deletion's report is the XCom while waiting: a failed wait leaves it, without confirmed_gone
    assert ti.pushed["return_value"]["deleted"] == targets and ti.pushed["return_value"]["confirmed_gone"] == []
    assert f"{LABEL}: waiting for the 2 deleted jobs to be gone (every 0.2 s, at most 30 s)" in lines
    assert lines[-1] == f"{LABEL}: all 2 deleted jobs confirmed gone"


def test_nothing_deleted_means_nothing_to_wait_for(emulator):
    targets = emulator.seed("scnet", 1)
    operator(job_ids=targets).execute({"ti": RecordingTI()})  # type: ignore[arg-type]
    ti = RecordingTI()
    result = operator(job_ids=targets, wait_for_completion=True, deferrable=True).execute({"ti": ti})  # type: ignore[arg-type]
    assert result["already_gone"] == targets and result["confirmed_gone"] == []
    assert "return_value" not in ti.pushed


def test_the_deferred_wait_hands_the_deleted_jobs_to_the_trigger_and_resumes(emulator):
    targets = emulator.seed("scnet", 2)
    ti = RecordingTI()
    task = operator(job_ids=targets, wait_for_completion=True, deferrable=True, poll_interval=0.2, timeout=30)
    with capture_logs() as logs, pytest.raises(TaskDeferred) as deferred:
        task.execute({"ti": ti})  # type: ignore[arg-type]
    lines = [entry["event"] for entry in logs]
    assert f"{LABEL}: waiting for the 2 deleted jobs to be gone (every 0.2 s, at most 30 s, in the triggerer)" in lines
    defer = deferred.value
    assert defer.method_name == "execute_complete"
    assert defer.timeout is not None and defer.timeout.total_seconds() == 30 + DEFERRAL_MARGIN
    assert defer.kwargs == {"report": ti.pushed["return_value"], "label": LABEL}
    trigger = defer.trigger
    assert isinstance(trigger, JobsGoneTrigger)
    assert trigger.conn_id == CONN_ID and trigger.service == "scnet" and trigger.job_ids == targets
    assert trigger.poll_interval == 0.2

    event = asyncio.run(_first_event(trigger))
    assert event == {"status": "success", "service": "scnet", "gone": targets}
    ti_after = RecordingTI()
    with capture_logs() as logs:
        resumed = task.execute_complete({"ti": ti_after}, event, **defer.kwargs)  # type: ignore[arg-type]
    assert resumed == {**defer.kwargs["report"], "confirmed_gone": targets}
    assert ti_after.pushed == {"confirmed_gone": targets}
    assert [entry["event"] for entry in logs] == [f"{LABEL}: all 2 deleted jobs confirmed gone"]


def test_resuming_without_the_deferral_kwargs_reads_the_report_from_xcom(emulator):
    stored = {"service": "scnet", "requested": ["7"], "deleted": ["7"]}
    ti = RecordingTI(stored=stored)
    task = operator(job_ids=["7"], wait_for_completion=True)
    with capture_logs() as logs:
        resumed = task.execute_complete({"ti": ti}, {"status": "success", "gone": ["7"]})  # type: ignore[arg-type]
    assert resumed == {**stored, "confirmed_gone": ["7"]}
    assert ti.pulled == [{"task_ids": "delete", "key": "return_value", "map_indexes": -1}]
    assert [entry["event"] for entry in logs] == [f"{LABEL}: all 1 deleted jobs confirmed gone"]


def test_resuming_with_the_report_but_without_a_label_names_the_scope():
    task = operator(job_ids=["7"], wait_for_completion=True)
    ti = RecordingTI()
    with capture_logs() as logs:
        resumed = task.execute_complete({"ti": ti}, {"status": "success", "gone": ["7"]}, report={"deleted": ["7"]})  # type: ignore[arg-type]
    assert resumed == {"deleted": ["7"], "confirmed_gone": ["7"]} and ti.pulled == []
    assert [entry["event"] for entry in logs] == [f"{LABEL}: all 1 deleted jobs confirmed gone"]


def test_a_long_delete_logs_its_progress(emulator, monkeypatch):
    from airflow_provider_jobcleanup import progress

    monkeypatch.setattr(progress, "PROGRESS_INTERVAL", 0.0)  # a line for every recorded outcome
    targets = emulator.seed("scnet", 2)
    _, lines = run(operator(job_ids=targets), RecordingTI())
    assert f"{LABEL}: 2 of 2 jobs done (2 deleted, 0 already gone, 0 failed)" in lines


def test_the_wait_in_the_worker_polls_at_the_interval_and_logs_what_is_left(emulator, monkeypatch):
    from airflow_provider_jobcleanup.hooks.scnet import ScnetHook
    from airflow_provider_jobcleanup.models import JobStatus

    real = ScnetHook.get_job_states
    calls: list[float] = []

    def first_poll_sees_them_running(self, job_ids, **params):
        # the look before the delete and the first poll after it report the jobs running; then the service
        calls.append(time.monotonic())
        if len(calls) <= 2:
            return {job_id: JobStatus(job_id, gone=False, state="statR") for job_id in job_ids}
        return real(self, job_ids, **params)

    monkeypatch.setattr(ScnetHook, "get_job_states", first_poll_sees_them_running)
    targets = emulator.seed("scnet", 2)
    result, lines = run(
        operator(job_ids=targets, wait_for_completion=True, poll_interval=0.3, timeout=30), RecordingTI()
    )
    assert result["confirmed_gone"] == targets
    shown = ", ".join(f"{job} (statR)" for job in targets)
    assert f"{LABEL}: 2 of 2 scnet jobs still present, e.g. {shown}" in lines
    assert len(calls) == 3 and calls[2] - calls[1] >= 0.3


def test_an_error_without_a_report_is_raised_as_it_is_and_publishes_nothing(emulator, monkeypatch):
    from airflow_provider_jobcleanup.hooks.scnet import ScnetHook

    def broken(self, job_ids, **params):
        raise RuntimeError("broken before any report")

    monkeypatch.setattr(ScnetHook, "delete_jobs", broken)
    ti = RecordingTI()
    with pytest.raises(RuntimeError, match="broken before any report"):
        operator(job_ids=["7"]).execute({"ti": ti})  # type: ignore[arg-type]
    assert ti.pushed == {}


def test_a_run_stopped_part_way_logs_its_summary(emulator, monkeypatch):
    spec = scnet_password_connection(emulator.url)
    spec["password"] = "Not-The-Password-8"
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(spec))
    with capture_logs() as logs, pytest.raises(JobCleanupError):
        operator(job_ids=["7"]).execute({"ti": RecordingTI()})  # type: ignore[arg-type]
    lines = [entry["event"] for entry in logs]
    assert any(
        line.startswith(f"{LABEL}: requested 1, deleted 0, already gone 0, failed 1, api calls") for line in lines
    )


@pytest.mark.parametrize(
    ("event", "error"),
    [
        ({"status": "timeout", "message": "1 of 1 scnet jobs still present"}, JobsStillPresentError),
        ({"status": "error", "message": "refused", "permanent": True}, PermanentError),
        ({"status": "error", "message": "outage", "permanent": False}, JobCleanupError),
    ],
)
def test_resuming_after_a_failed_wait_fails_the_task(event, error):
    task = operator(job_ids=["7"], wait_for_completion=True)
    with pytest.raises(error, match=event["message"]) as caught:
        task.execute_complete({"ti": RecordingTI()}, event, report={"deleted": ["7"]}, label="x")  # type: ignore[arg-type]
    assert type(caught.value) is error


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"job_ids": ["1"], "job_filter": {"states": ["statQ"]}}, "pass exactly one of job_ids or job_filter"),
        ({}, "pass exactly one of job_ids or job_filter"),
        ({"job_ids": ["1"], "max_jobs": 0}, "max_jobs must be a positive integer, got 0"),
        ({"job_ids": ["1"], "max_jobs": True}, "max_jobs must be a positive integer, got True"),
        ({"job_ids": ["1"], "max_jobs": "5"}, "max_jobs must be a positive integer, got '5'"),
        ({"job_ids": ["1"], "poll_interval": 0}, "poll_interval must be a positive number, got 0"),
        ({"job_ids": ["1"], "poll_interval": True}, "poll_interval must be a positive number, got True"),
        ({"job_ids": ["1"], "timeout": -1}, "timeout must be a positive number, got -1"),
        ({"job_ids": ["1"], "timeout": "9"}, "timeout must be a positive number, got '9'"),
    ],
)
def test_bad_arguments_are_refused_when_the_dag_is_parsed(kwargs, message):
    with pytest.raises(InvalidInputError) as caught:
        operator(**kwargs)
    assert str(caught.value) == f"task 'delete': {message}"


def test_the_arguments_are_kept_as_given():
    job_filter = JobFilter.from_value({"states": ["statQ"], "older_than": "2h"})
    task = operator(job_filter=job_filter, max_jobs=1, poll_interval=2, timeout=5)
    assert task.job_filter == {"states": ["statQ"], "older_than": 7200.0, "name_pattern": None}
    assert task.job_ids is None and task.max_jobs == 1 and task.conn_id == CONN_ID and task.service == "scnet"
    assert task.poll_interval == 2.0 and isinstance(task.poll_interval, float)
    assert task.timeout == 5.0 and isinstance(task.timeout, float)
    assert (task.is_dry_run, task.allow_empty, task.only_on_failure, task.wait_for_completion) == (
        False, False, False, False,
    )  # fmt: skip
    defaults = operator(job_ids=["1"])
    assert (defaults.max_jobs, defaults.poll_interval, defaults.timeout) == (1000, 10.0, 1800.0)


async def _first_event(trigger: JobsGoneTrigger) -> dict[str, Any]:
    async for event in trigger.run():
        return event.payload
    raise AssertionError("the trigger ended without an event")


def test_the_console_link_points_at_the_jobs_after_a_run(emulator, monkeypatch):
    from airflow_provider_jobcleanup.services import get_cleanup_hook
    from tests.profiles.huawei import PROFILES

    [mrs] = [p for p in PROFILES if p.name == "mrs-aksk"]
    name, value = mrs.env_var(emulator.url)
    monkeypatch.setenv(name, value)
    job_ids, params = mrs.seed(emulator, 1)
    task = BatchDeleteJobsOperator(task_id="d", conn_id=mrs.conn_id, service="mrs", job_ids=job_ids, **params)
    task.execute({"ti": RecordingTI()})  # type: ignore[arg-type]
    expected = get_cleanup_hook(mrs.conn_id, "mrs").console_url(params)
    assert expected and expected.startswith("https://console.huaweicloud.com")
    assert task.console_url == expected


def test_resuming_without_a_label_reads_the_scope_from_the_task_s_connection(emulator, monkeypatch):
    """RES names its scope by the connection's region, and a huaweicloud connection serves three services:
    the label needs this task's connection and service."""
    from tests.profiles.huawei import PROFILES

    [res] = [p for p in PROFILES if p.name == "res-aksk"]
    name, value = res.env_var(emulator.url)
    monkeypatch.setenv(name, value)
    _, params = res.seed(emulator, 1)
    task = BatchDeleteJobsOperator(task_id="d", conn_id=res.conn_id, service="res", job_ids=["7"], **params)
    with capture_logs() as logs:
        task.execute_complete({"ti": RecordingTI()}, {"status": "success", "gone": ["7"]}, report={"deleted": ["7"]})  # type: ignore[arg-type]
    assert [entry["event"] for entry in logs] == ["res region cn-north-4: all 1 deleted jobs confirmed gone"]
