"""DLI hook against the emulator over real HTTP, in AK/SK mode (and password mode where it matters)."""

from __future__ import annotations

import pytest

from airflow_provider_jobcleanup.exceptions import AuthenticationError, InvalidInputError
from airflow_provider_jobcleanup.hooks.huawei_dli import is_true
from airflow_provider_jobcleanup.models import JobFilter
from tests.integration.huawei_helpers import aksk_hook, huawei_hook


def dli(emulator, **extra):
    return aksk_hook("dli", emulator.url, **extra)


def test_delete_removes_exactly_the_requested_jobs_in_one_call(emulator):
    targets = emulator.seed("dli", 5)
    bystanders = emulator.seed("dli", 3)
    report = dli(emulator).delete_jobs(targets)
    assert report.deleted == targets
    assert report.already_gone == [] and report.failed == {}
    assert emulator.live_ids("dli") == set(bystanders)
    stats = emulator.stats()
    assert stats["dli.batch_delete"] == 1
    assert stats["dli.list"] == 1  # the look before the delete: one page
    assert "iam.tokens" not in stats  # AK/SK: no token round trip
    assert report.api_calls == 2


def test_password_mode_fetches_one_token(emulator):
    targets = emulator.seed("dli", 2)
    report = huawei_hook("dli", emulator.url).delete_jobs(targets)
    assert report.deleted == targets
    assert emulator.stats()["iam.tokens"] == 1


def test_ints_and_digit_strings_are_accepted(emulator):
    targets = emulator.seed("dli", 2)
    hook = dli(emulator)
    ids = hook.normalize_job_ids([int(targets[0]), targets[1], int(targets[0])])
    assert ids == targets
    assert hook.delete_jobs(ids).deleted == targets


def test_missing_jobs_are_already_gone_and_the_rest_deleted(emulator):
    targets = emulator.seed("dli", 6)
    report = dli(emulator).delete_jobs([*targets[:3], "424242", *targets[3:]])
    assert sorted(report.deleted) == sorted(targets)
    assert report.already_gone == ["424242"]
    assert report.failed == {} and report.unaccounted == []
    assert emulator.live_ids("dli") == set()


def test_per_job_failure_inside_a_successful_answer(emulator):
    ok = emulator.seed("dli", 3)
    stuck = emulator.seed("dli", 1, attrs={"delete_error": "The job is locked by a savepoint."})
    report = dli(emulator).delete_jobs([*ok, *stuck])
    assert sorted(report.deleted) == sorted(ok)
    assert list(report.failed) == stuck
    assert "locked by a savepoint" in report.failed[stuck[0]]
    assert emulator.live_ids("dli") == set(stuck)
    assert emulator.stats()["dli.detail"] == 1  # the refused job was checked once


def test_large_batches_are_chunked_at_100(emulator):
    targets = emulator.seed("dli", 250)
    report = dli(emulator).delete_jobs(targets)
    assert len(report.deleted) == 250
    assert emulator.stats()["dli.batch_delete"] == 3
    assert emulator.live_ids("dli") == set()


@pytest.mark.parametrize("kind", ["throttle", "unavailable"])
def test_429_and_503_are_retried(emulator, kind):
    targets = emulator.seed("dli", 3)
    emulator.faults(rate=0.5, kinds={kind: 1.0}, retry_after=0.01, services=["dli"], seed=3)
    hook = dli(emulator)
    for job_id in targets:
        assert hook.delete_jobs([job_id]).deleted == [job_id]
    assert hook.transport.retries >= 1
    assert emulator.live_ids("dli") == set()


def test_wrong_secret_key_is_a_clear_error_and_deletes_nothing(emulator):
    targets = emulator.seed("dli", 3)
    hook = dli(emulator)
    hook.connection.password = "not-the-secret-key"
    with pytest.raises(AuthenticationError, match=r"APIGW\.0301") as info:
        hook.delete_jobs(targets)
    assert "verify aksk signature fail" in str(info.value)
    assert "not-the-secret-key" not in str(info.value)
    assert emulator.live_ids("dli") == set(targets)
    stats = emulator.stats()
    assert stats["dli.list"] == 1  # refused at the look before the delete: not retried
    assert "dli.batch_delete" not in stats  # no delete is sent
    assert sorted(info.value.report.failed) == sorted(targets)


def test_temporary_aksk_with_security_token(emulator):
    targets = emulator.seed("dli", 2)
    assert aksk_hook("dli", emulator.url, temporary=True).delete_jobs(targets).deleted == targets


def test_temporary_aksk_without_its_token_is_refused(emulator):
    targets = emulator.seed("dli", 1)
    hook = aksk_hook("dli", emulator.url, temporary=True, security_token=None)
    with pytest.raises(AuthenticationError, match="security token"):
        hook.delete_jobs(targets)
    assert emulator.live_ids("dli") == set(targets)


@pytest.mark.parametrize("bad", [["abc"], [-1], [0], [1.5], [True], ["12 "], ["012"], "12", None, [[12]], []])
def test_invalid_ids_send_no_request(emulator, bad):
    hook = dli(emulator)
    with pytest.raises(InvalidInputError):
        hook.delete_jobs(bad)
    assert emulator.stats().get("total", 0) == 0


def test_service_params_are_refused(emulator):
    with pytest.raises(InvalidInputError, match="does not take"):
        dli(emulator).delete_jobs(["12"], cluster_id="x")
    assert emulator.stats().get("total", 0) == 0


def test_get_job_states_pages_instead_of_one_call_per_job(emulator):
    present = emulator.seed("dli", 150)
    missing = [str(900000 + i) for i in range(150)]
    states = dli(emulator).get_job_states([*present, *missing])
    assert all(not states[j].gone for j in present)
    assert all(states[j].gone for j in missing)
    stats = emulator.stats()
    assert stats["dli.list"] == 2
    assert "dli.detail" not in stats


def test_get_job_states_looks_up_few_ids_directly_in_a_big_project(emulator):
    emulator.seed("dli", 450)
    one = emulator.seed("dli", 1, state="job_running", age_seconds=3600)  # oldest: on the last page
    states = dli(emulator).get_job_states(one)
    assert states[one[0]].state == "job_running" and not states[one[0]].gone
    stats = emulator.stats()
    assert stats["dli.list"] == 1 and stats["dli.detail"] == 1


def test_deleted_jobs_read_as_gone(emulator):
    targets = emulator.seed("dli", 3)
    hook = dli(emulator)
    hook.delete_jobs(targets[:2])
    states = hook.get_job_states(targets)
    assert [states[j].gone for j in targets] == [True, True, False]


def test_list_jobs_filters_by_state_age_and_name(emulator):
    old_failed = emulator.seed("dli", 3, state="job_running_exception", name="etl", age_seconds=8 * 86400)
    emulator.seed("dli", 2, state="job_running_exception", name="etl", age_seconds=60)
    emulator.seed("dli", 2, state="job_running", name="etl", age_seconds=8 * 86400)
    emulator.seed("dli", 2, state="job_running_exception", name="report", age_seconds=8 * 86400)
    job_filter = JobFilter.from_value(
        {"states": ["job_running_exception"], "older_than": "7d", "name_pattern": "etl-*"}
    )
    found = dli(emulator).list_jobs(job_filter)
    assert sorted(j.job_id for j in found) == sorted(old_failed)
    assert all(j.created_at is not None for j in found)
    assert emulator.stats()["dli.list"] == 1


def test_list_jobs_pages_through_everything(emulator):
    seeded = emulator.seed("dli", 230)
    found = dli(emulator).list_jobs(JobFilter())
    assert sorted(j.job_id for j in found) == sorted(seeded)
    assert emulator.stats()["dli.list"] == 3


def test_test_connection_makes_one_read_only_call(emulator):
    ok, message = dli(emulator).test_connection()
    assert ok, message
    assert emulator.stats()["dli.list"] == 1


@pytest.mark.parametrize(
    ("value", "expected"), [("true", True), (True, True), ("false", False), (False, False), (None, False)]
)
def test_is_success_string_or_boolean(value, expected):
    assert is_true(value) is expected
