"""A partly deleted set is not gone: the sensor (poke and deferred first check) and the trigger, polled against
the emulator while some watched jobs are gone and others still exist, keep waiting and name the ones left."""

from __future__ import annotations

import asyncio
import time

import pytest

from airflow_provider_jobcleanup.sensors.jobs_gone import JobsGoneSensor
from airflow_provider_jobcleanup.triggers.jobs_gone import JobsGoneTrigger
from tests.hostile.conftest import hook_for
from tests.profiles import ServiceProfile, all_profiles

PROFILES = all_profiles()


@pytest.fixture(params=PROFILES, ids=[p.name for p in PROFILES])
def profile(request, emulator, monkeypatch) -> ServiceProfile:
    name, value = request.param.env_var(emulator.url)
    monkeypatch.setenv(name, value)
    return request.param


def half_deleted(profile: ServiceProfile, emulator) -> tuple[list[str], list[str], dict]:
    """Seeds three jobs and deletes the first; returns (all ids, the ids still present, service params)."""
    job_ids, params = profile.seed(emulator, 3)
    report = hook_for(profile, emulator.url).delete_jobs(job_ids[:1], **params)
    assert report.deleted == job_ids[:1]
    return job_ids, job_ids[1:], params


def sensor(profile: ServiceProfile, job_ids: list[str], params: dict, **kwargs) -> JobsGoneSensor:
    return JobsGoneSensor(
        task_id="gone", conn_id=profile.conn_id, service=profile.service, job_ids=job_ids, **params, **kwargs
    )


def test_the_sensor_is_not_done_while_one_job_is_left(profile, emulator):
    job_ids, present, params = half_deleted(profile, emulator)
    watcher = sensor(profile, job_ids, params)
    assert watcher.poke({}).is_done is False
    assert watcher.poke({}).xcom_value is None

    hook_for(profile, emulator.url).delete_jobs(present[:1], **params)
    assert sensor(profile, job_ids, params).poke({}).is_done is False  # one job of three is still there

    hook_for(profile, emulator.url).delete_jobs(present[1:], **params)
    done = sensor(profile, job_ids, params).poke({})
    assert done.is_done is True
    assert done.xcom_value == {"service": profile.service, "gone": job_ids}


def test_the_deferrable_sensor_defers_while_one_job_is_left(profile, emulator):
    from airflow.sdk.exceptions import TaskDeferred

    job_ids, _present, params = half_deleted(profile, emulator)
    with pytest.raises(TaskDeferred) as deferred:
        sensor(profile, job_ids, params, deferrable=True, timeout=30).execute({})
    trigger = deferred.value.trigger
    assert isinstance(trigger, JobsGoneTrigger) and trigger.job_ids == job_ids


def test_the_trigger_times_out_naming_only_the_jobs_still_present(profile, emulator):
    job_ids, present, params = half_deleted(profile, emulator)
    hook = hook_for(profile, emulator.url)
    params = hook.validate_params(params)
    trigger = JobsGoneTrigger(
        conn_id=profile.conn_id,
        service=profile.service,
        job_ids=job_ids,
        service_params=params,
        poll_interval=0.1,
        end_time=time.time() + 0.3,  # the trigger always polls at least once, however early its deadline
    )

    async def first_event():
        return await asyncio.wait_for(trigger.run().__anext__(), timeout=30)

    event = asyncio.run(first_event())
    assert event.payload["status"] == "timeout"
    assert event.payload["remaining"] == present
    assert f"{len(present)} of {len(job_ids)}" in event.payload["message"]
