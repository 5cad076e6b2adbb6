"""A job never vanishes from the report. A hook whose delete step forgets a job (a bug in one service's code,
which none of the shipped hooks has) still returns a report where that job is failed, never deleted and never
missing; and the run's api_calls are still counted. Real hooks, real HTTP against the emulator."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_jobcleanup.models import DeletionReport
from tests.hostile.conftest import hook_for
from tests.profiles import ServiceProfile, all_profiles

PROFILES = all_profiles()


@pytest.fixture(params=PROFILES, ids=[p.name for p in PROFILES])
def profile(request) -> ServiceProfile:
    return request.param


def forgetting_all_but_the_first(hook: Any) -> None:
    """Make ``hook``'s delete step send (and record) only the first job it is given."""
    send = hook._delete

    def delete_first_only(job_ids: list[str], params: dict[str, Any], report: DeletionReport) -> None:
        send(job_ids[:1], params, report)

    hook._delete = delete_first_only


def test_a_job_the_delete_step_forgot_is_failed_not_deleted(profile, emulator):
    job_ids, params = profile.seed(emulator, 3)
    hook = hook_for(profile, emulator.url)
    forgetting_all_but_the_first(hook)

    report = hook.delete_jobs(job_ids, **params)

    assert report.deleted == job_ids[:1]
    assert report.already_gone == []
    assert report.failed == {job_id: "no outcome was recorded for this job" for job_id in job_ids[1:]}
    assert report.requested == job_ids and report.unaccounted == []
    assert report.api_calls == hook.api_calls > 0
    assert report.on_progress is None
    states = hook_for(profile, emulator.url).get_job_states(job_ids, **params)
    assert [states[job_id].gone for job_id in job_ids] == [True, False, False]  # the report told the truth


def test_jobs_already_gone_are_not_marked_failed_by_the_safety_net(profile, emulator):
    job_ids, params = profile.seed(emulator, 2)
    hook_for(profile, emulator.url).delete_jobs(job_ids[:1], **params)
    hook = hook_for(profile, emulator.url)
    forgetting_all_but_the_first(hook)
    extra, _ = profile.seed(emulator, 2)

    report = hook.delete_jobs([*job_ids, *extra], **params)

    assert report.already_gone == job_ids[:1]
    assert report.deleted == job_ids[1:]
    assert report.failed == {job_id: "no outcome was recorded for this job" for job_id in extra}
