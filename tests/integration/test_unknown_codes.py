"""Every hook against answers carrying an error code it does not know (the emulator's ``unknown_code``
fault): such an answer is a failure, never "not found", so no job is reported deleted or already gone, and the
status check raises instead of answering "gone"."""

from __future__ import annotations

import pytest

from airflow_provider_jobcleanup.exceptions import ApiError
from airflow_provider_jobcleanup.models import DeletionReport
from tests.hostile.conftest import hook_for
from tests.profiles import ServiceProfile, all_profiles

PROFILES = all_profiles()


@pytest.fixture(params=PROFILES, ids=[p.name for p in PROFILES])
def profile(request) -> ServiceProfile:
    return request.param


def unknown_codes(emulator, profile: ServiceProfile, rate: float = 1.0) -> None:
    emulator.faults(rate=rate, kinds={"unknown_code": 1.0}, services=[profile.service], seed=7)


def injected(emulator) -> int:
    """How many unknown-code answers the emulator gave."""
    answer = emulator.session.get(f"{emulator.url}/_emulator/stats", timeout=30)
    return int(answer.json()["faults"].get("unknown_code", 0))


def test_the_status_check_fails_and_never_says_gone(emulator, profile):
    job_ids, params = profile.seed(emulator, 2)
    hook = hook_for(profile, emulator.url)
    hook.validate_params(params)
    unknown_codes(emulator, profile)
    with pytest.raises(ApiError) as caught:
        hook.get_job_states(job_ids, **params)
    assert not caught.value.retryable
    assert injected(emulator) >= 1 and emulator.live_ids(profile.service) >= set(job_ids)


def test_a_delete_answered_with_unknown_codes_claims_nothing(emulator, profile):
    job_ids, params = profile.seed(emulator, 2)
    hook = hook_for(profile, emulator.url)
    unknown_codes(emulator, profile)
    try:
        report = hook.delete_jobs(job_ids, **params)
    except ApiError as err:
        assert not err.retryable
        report = err.report
    assert isinstance(report, DeletionReport)
    assert report.deleted == [] and report.already_gone == []
    assert set(report.failed) | set(report.unaccounted) == set(job_ids)
    assert injected(emulator) >= 1 and emulator.live_ids(profile.service) >= set(job_ids)


def test_some_unknown_codes_among_good_answers_never_make_a_live_job_gone(emulator, profile):
    job_ids, params = profile.seed(emulator, 6)
    hook = hook_for(profile, emulator.url)
    unknown_codes(emulator, profile, rate=0.3)
    try:
        report = hook.delete_jobs(job_ids, **params)
    except ApiError as err:
        report = err.report
    assert isinstance(report, DeletionReport)
    live = emulator.live_ids(profile.service)
    assert report.already_gone == []  # every job existed
    assert not set(report.deleted) & live  # a job reported deleted really is
    assert injected(emulator) >= 1
