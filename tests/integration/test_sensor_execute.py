"""``JobsGoneSensor`` without a DAG run (fast, against the emulator over HTTP): what it answers, logs and hands
the trigger, poked and deferred. The same paths run under real Airflow in ``tests/airflow/``."""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowSensorTimeout, AirflowSkipException, TaskDeferred
from structlog.testing import capture_logs

from airflow_provider_jobcleanup.exceptions import JobCleanupError, PermanentError
from airflow_provider_jobcleanup.sensors.jobs_gone import JobsGoneSensor
from airflow_provider_jobcleanup.triggers.jobs_gone import JobsGoneTrigger
from tests.profiles.scnet import scnet_password_connection

CONN_ID = "scnet_sensor"


@pytest.fixture(autouse=True)
def scnet_conn(emulator, monkeypatch) -> str:
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(scnet_password_connection(emulator.url)))
    return CONN_ID


def sensor(job_ids: Any, **kwargs: Any) -> JobsGoneSensor:
    return JobsGoneSensor(task_id="gone", conn_id=CONN_ID, service="scnet", job_ids=job_ids, **kwargs)


def poke(watcher: JobsGoneSensor) -> tuple[Any, list[str]]:
    with capture_logs() as logs:
        answer = watcher.poke({})  # type: ignore[arg-type]
    return answer, [entry["event"] for entry in logs]


def delete(emulator, job_ids: list[str]) -> None:
    from airflow_provider_jobcleanup.operators.batch_delete import BatchDeleteJobsOperator

    class TI:
        def xcom_push(self, key: str, value: Any) -> None:
            pass

    BatchDeleteJobsOperator(task_id="d", conn_id=CONN_ID, service="scnet", job_ids=job_ids).execute({"ti": TI()})  # type: ignore[arg-type]


def test_a_poke_names_the_jobs_still_present_and_then_reports_all_gone(emulator):
    targets = emulator.seed("scnet", 2, state="statR")
    delete(emulator, targets[:1])
    answer, lines = poke(sensor(targets))
    assert answer.is_done is False and answer.xcom_value is None
    [line] = lines
    label = line.split(":")[0]
    assert label.startswith("scnet")
    assert line == f"{label}: 1 of 2 scnet jobs still present, e.g. {targets[1]} (statR)"

    delete(emulator, targets[1:])
    answer, lines = poke(sensor(targets))
    assert answer.is_done is True and answer.xcom_value == {"service": "scnet", "gone": targets}
    assert lines == [f"{label}: all 2 jobs are gone"]


def test_the_watched_ids_are_normalized_before_the_check(emulator):
    targets = emulator.seed("scnet", 1)
    delete(emulator, targets)
    answer, _ = poke(sensor(json.dumps([targets[0], targets[0]])))  # an XCom rendered as JSON text, repeated
    assert answer.is_done is True and answer.xcom_value == {"service": "scnet", "gone": targets}


def test_nothing_to_watch_is_done_at_once_without_a_request(emulator):
    answer, lines = poke(sensor([]))
    assert answer.is_done is True and answer.xcom_value == {"service": "scnet", "gone": []}
    assert len(lines) == 1 and lines[0].startswith("scnet") and lines[0].endswith(": no jobs to watch: done")
    assert sum(emulator.stats().values()) == 0


def test_deferred_it_returns_at_once_when_the_jobs_are_already_gone(emulator):
    targets = emulator.seed("scnet", 1)
    delete(emulator, targets)
    assert sensor(targets, deferrable=True).execute({}) == {"service": "scnet", "gone": targets}  # type: ignore[arg-type]


def test_deferred_it_hands_the_trigger_an_absolute_deadline_and_resumes_with_its_event(emulator):
    targets = emulator.seed("scnet", 2)
    watcher = sensor(targets, deferrable=True, poke_interval=0.2, timeout=40)
    before = time.time()
    with pytest.raises(TaskDeferred) as deferred:
        watcher.execute({})  # type: ignore[arg-type]
    defer = deferred.value
    assert defer.method_name == "execute_complete"
    assert defer.timeout is not None and defer.timeout.total_seconds() == 40
    trigger = defer.trigger
    assert isinstance(trigger, JobsGoneTrigger)
    assert (trigger.conn_id, trigger.service, trigger.job_ids) == (CONN_ID, "scnet", targets)
    assert trigger.poll_interval == 0.2
    assert before + 40 <= trigger.end_time <= time.time() + 40

    delete(emulator, targets)
    event = asyncio.run(_first_event(trigger))
    assert watcher.execute_complete({}, event) == {"service": "scnet", "gone": targets}  # type: ignore[arg-type]


def test_a_non_deferrable_sensor_pokes_in_the_worker(emulator):
    targets = emulator.seed("scnet", 1)
    delete(emulator, targets)
    watcher = sensor(targets, deferrable=False, poke_interval=0.1, timeout=10)
    assert watcher.execute({"ti": None, "task_instance": None}) == {"service": "scnet", "gone": targets}  # type: ignore[arg-type]


@pytest.mark.parametrize("soft_fail", [False, True])
def test_a_timeout_event_fails_or_skips_with_the_trigger_s_message(soft_fail):
    watcher = sensor(["1"], soft_fail=soft_fail)
    message = "1 of 1 scnet jobs still present at the deadline, e.g. ['1']"
    expected = AirflowSkipException if soft_fail else AirflowSensorTimeout
    with pytest.raises(expected) as caught:
        watcher.execute_complete({}, {"status": "timeout", "service": "scnet", "message": message})  # type: ignore[arg-type]
    assert type(caught.value) is expected and str(caught.value) == message


@pytest.mark.parametrize("permanent", [False, True])
def test_an_error_event_fails_even_with_soft_fail(permanent):
    watcher = sensor(["1"], soft_fail=True)
    with pytest.raises(JobCleanupError, match=r"^refused$") as caught:
        watcher.execute_complete({}, {"status": "error", "message": "refused", "permanent": permanent})  # type: ignore[arg-type]
    assert isinstance(caught.value, PermanentError) is permanent


def test_service_parameters_by_keyword_and_as_a_dict_are_merged():
    watcher = JobsGoneSensor(
        task_id="gone", conn_id="c", service="scnet", job_ids=["1"], service_params={"user": "alice"},
        job_manager_id="1638523853",
    )  # fmt: skip
    assert watcher.service_params == {"user": "alice", "job_manager_id": "1638523853"}
    assert (watcher.conn_id, watcher.service, watcher.job_ids, watcher.deferrable) == ("c", "scnet", ["1"], False)
    assert set(JobsGoneSensor.template_fields) == {"conn_id", "job_ids", "service_params"}


def test_deferrable_is_kept_as_given():
    assert JobsGoneSensor(task_id="w", conn_id="c", job_ids=["1"], deferrable=True).deferrable is True


def test_the_trigger_uses_the_connection_it_fetched_asynchronously(emulator, monkeypatch):
    """The triggerer's event loop must not call the synchronous connection lookup (Airflow refuses it there):
    the hook is built from the connection the trigger fetched with ``aget_connection``."""
    from airflow.sdk import BaseHook

    targets = emulator.seed("scnet", 1)
    delete(emulator, targets)

    def refused(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the synchronous connection lookup was called")

    monkeypatch.setattr(BaseHook, "get_connection", refused)
    event = asyncio.run(_first_event(trigger(targets)))
    assert event == {"status": "success", "service": "scnet", "gone": targets}


async def _first_event(trigger: JobsGoneTrigger) -> dict[str, Any]:
    async for event in trigger.run():
        return event.payload
    raise AssertionError("the trigger ended without an event")


def trigger(job_ids: list[str], conn_id: str = CONN_ID, **kwargs: Any) -> JobsGoneTrigger:
    settings: dict[str, Any] = {"poll_interval": 0.1, "end_time": time.time() + 20}
    return JobsGoneTrigger(
        conn_id=conn_id, service="scnet", job_ids=job_ids, service_params={}, **{**settings, **kwargs}
    )


def test_the_trigger_reports_a_connection_it_cannot_use_as_an_error():
    event = asyncio.run(_first_event(trigger(["1"], conn_id="no_such_connection")))
    assert event["status"] == "error" and event["service"] == "scnet" and event["permanent"] is False
    assert event["message"].startswith("cannot build hook: ") and "no_such_connection" in event["message"]


def test_the_trigger_ends_with_a_permanent_error_when_the_credentials_are_refused(emulator, monkeypatch):
    spec = scnet_password_connection(emulator.url)
    spec["password"] = "Not-The-Password-8"
    monkeypatch.setenv("AIRFLOW_CONN_SCNET_REFUSED", json.dumps(spec))
    event = asyncio.run(_first_event(trigger(["1"], conn_id="scnet_refused")))
    assert set(event) == {"status", "service", "message", "permanent"}
    assert event["status"] == "error" and event["service"] == "scnet" and event["permanent"] is True
    assert event["message"].startswith("[scnet] ") and "Not-The-Password-8" not in event["message"]


def test_the_trigger_polls_again_after_an_outage_and_then_fires(emulator, monkeypatch):
    targets = emulator.seed("scnet", 1)
    delete(emulator, targets)
    spec = scnet_password_connection(emulator.url)
    spec["extra"] = {**spec.get("extra", {}), "max_attempts": 1}
    monkeypatch.setenv("AIRFLOW_CONN_SCNET_ONE_TRY", json.dumps(spec))
    emulator.faults(rate=1.0, kinds={"unavailable": 1.0}, services=["scnet"])

    def polled_on() -> bool:
        return any("polling again" in entry["event"] for entry in logs)

    async def outage_then_recovery() -> dict[str, Any]:
        events = asyncio.ensure_future(_first_event(trigger(targets, conn_id="scnet_one_try")))
        waited_until = time.monotonic() + 15
        while not polled_on():  # the trigger met the outage and goes on polling
            assert not events.done() and time.monotonic() < waited_until
            await asyncio.sleep(0.05)
        await asyncio.to_thread(emulator.faults, rate=0.0)
        return await asyncio.wait_for(events, 15)

    with capture_logs() as logs:
        event = asyncio.run(outage_then_recovery())
    assert event == {"status": "success", "service": "scnet", "gone": targets}


def test_the_trigger_times_out_at_its_absolute_deadline_naming_five(emulator):
    targets = emulator.seed("scnet", 7, state="statR")
    started = time.monotonic()
    with capture_logs() as logs:
        event = asyncio.run(_first_event(trigger(targets, end_time=time.time() + 0.5)))
    assert 0.4 <= time.monotonic() - started < 5
    assert event == {
        "status": "timeout", "service": "scnet", "remaining": targets,
        "message": f"7 of 7 scnet jobs still present at the deadline, e.g. {targets[:5]}",
    }  # fmt: skip
    shown = ", ".join(f"{job} (statR)" for job in targets[:5])
    assert f"7 of 7 scnet jobs still present, e.g. {shown}" in [entry["event"] for entry in logs]


@pytest.mark.parametrize(
    ("poll_interval", "seconds_left"),
    [(30, 0.05), (0.3, 0.6)],  # the deadline before the first poll; between two polls
)
def test_the_trigger_never_waits_past_its_deadline_for_a_poll(emulator, monkeypatch, poll_interval, seconds_left):
    from airflow_provider_jobcleanup.triggers import jobs_gone

    targets = emulator.seed("scnet", 1, state="statR")
    end_time = time.time() + seconds_left
    real_sleep = asyncio.sleep
    overshoots: list[float] = []

    async def recorded_sleep(seconds: float) -> None:
        overshoots.append(seconds - max(0.0, end_time - time.time()))
        await real_sleep(seconds)

    monkeypatch.setattr(jobs_gone.asyncio, "sleep", recorded_sleep)
    event = asyncio.run(_first_event(trigger(targets, poll_interval=poll_interval, end_time=end_time)))
    assert event["status"] == "timeout"
    assert overshoots and max(overshoots) <= 0.001, overshoots  # never a sleep past the deadline


def test_an_outage_until_the_deadline_times_out_naming_every_job(emulator, monkeypatch):
    targets = emulator.seed("scnet", 2, state="statR")
    spec = scnet_password_connection(emulator.url)
    spec["extra"] = {**spec.get("extra", {}), "max_attempts": 1}
    monkeypatch.setenv("AIRFLOW_CONN_SCNET_ONE_TRY", json.dumps(spec))
    emulator.faults(rate=1.0, kinds={"unavailable": 1.0}, services=["scnet"])
    with capture_logs() as logs:
        event = asyncio.run(_first_event(trigger(targets, conn_id="scnet_one_try", end_time=time.time() + 0.5)))
    assert event["status"] == "timeout" and event["remaining"] == targets
    assert event["message"] == f"2 of 2 scnet jobs still present at the deadline, e.g. {targets}"
    warnings = [entry["event"] for entry in logs if entry["log_level"] == "warning"]
    assert warnings and all(
        re.fullmatch(r"status check failed after retries \(\[scnet\] .+\); polling again", line) for line in warnings
    ), warnings


def test_the_trigger_s_hook_names_the_trigger_s_connection(emulator):
    hook = asyncio.run(trigger(["1"])._make_hook())
    assert hook.conn_id == CONN_ID and hook.service == "scnet"


def test_in_reschedule_mode_a_job_still_present_frees_the_worker_until_the_next_poke(emulator):
    from airflow.sdk.exceptions import AirflowRescheduleException

    class RescheduledTI:
        """What Airflow's reschedule mode asks of the task instance: when its first try started."""

        def get_first_reschedule_date(self, context: Any) -> None:
            return None

    targets = emulator.seed("scnet", 1, state="statR")
    watcher = sensor(targets, mode="reschedule", poke_interval=5, timeout=60)
    with pytest.raises(AirflowRescheduleException):
        watcher.execute({"ti": RescheduledTI()})  # type: ignore[arg-type]
