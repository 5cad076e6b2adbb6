"""MRS hook against the emulator over real HTTP, with real IAM tokens."""

from __future__ import annotations

import pytest

from airflow_provider_jobcleanup.emulator.huawei_mrs import DEFAULT_CLUSTER_ID
from airflow_provider_jobcleanup.exceptions import (
    ApiError,
    AuthenticationError,
    InvalidInputError,
    InvalidJobIdError,
)
from airflow_provider_jobcleanup.models import JobFilter
from tests.integration.huawei_helpers import huawei_hook

CLUSTER = {"cluster_id": DEFAULT_CLUSTER_ID}


def mrs(emulator, **extra):
    return huawei_hook("mrs", emulator.url, **extra)


def test_delete_removes_exactly_the_requested_jobs(emulator):
    targets = emulator.seed("mrs", 5, state="FAILED")
    bystanders = emulator.seed("mrs", 3, state="FAILED")
    report = mrs(emulator).delete_jobs(targets, **CLUSTER)
    assert sorted(report.deleted) == sorted(targets)
    assert report.already_gone == [] and report.failed == {}
    assert emulator.live_ids("mrs") == set(bystanders)
    stats = emulator.stats()
    assert stats["mrs.batch_delete"] == 1
    assert stats["mrs.list"] == 1
    assert stats["iam.tokens"] == 1
    assert report.api_calls == 3  # one token, one look (a list page), one batch


def test_missing_jobs_are_already_gone_and_the_rest_deleted(emulator):
    targets = emulator.seed("mrs", 6, state="FAILED")
    gone = "00000000-0000-4000-8000-000000000000"
    report = mrs(emulator).delete_jobs([*targets[:3], gone, *targets[3:]], **CLUSTER)
    assert sorted(report.deleted) == sorted(targets)
    assert report.already_gone == [gone]
    assert report.failed == {}
    assert report.unaccounted == []
    assert emulator.live_ids("mrs") == set()


def test_running_job_is_a_failure_and_does_not_block_the_others(emulator):
    done = emulator.seed("mrs", 4, state="FAILED")
    running = emulator.seed("mrs", 1, state="RUNNING")
    report = mrs(emulator).delete_jobs([*done, *running], **CLUSTER)
    assert sorted(report.deleted) == sorted(done)
    assert list(report.failed) == running
    assert "0183" in report.failed[running[0]]
    assert emulator.live_ids("mrs") == set(running)


def test_kill_running_stops_then_deletes(emulator):
    running = emulator.seed("mrs", 2, state="RUNNING")
    report = mrs(emulator).delete_jobs(running, kill_running=True, **CLUSTER)
    assert sorted(report.deleted) == sorted(running)
    assert emulator.stats()["mrs.kill"] == 2
    assert emulator.live_ids("mrs") == set()


def test_large_batches_are_chunked_to_the_service_limit(emulator):
    targets = emulator.seed("mrs", 250, state="FAILED")
    report = mrs(emulator).delete_jobs(targets, **CLUSTER)
    assert len(report.deleted) == 250
    assert emulator.stats()["mrs.batch_delete"] == 3


@pytest.mark.parametrize("kind", ["throttle", "unavailable"])
def test_transient_faults_are_retried(emulator, kind):
    targets = emulator.seed("mrs", 3, state="FAILED")
    emulator.faults(rate=0.5, kinds={kind: 1.0}, retry_after=0.01, services=["mrs"], seed=7)
    hook = mrs(emulator)
    for job_id in targets:  # several calls so that some hit a fault
        assert hook.delete_jobs([job_id], **CLUSTER).deleted == [job_id]
    assert hook.transport.retries >= 1
    assert emulator.live_ids("mrs") == set()


def test_retry_honours_retry_after(emulator):
    import time

    from airflow_provider_jobcleanup.exceptions import ThrottledError

    targets = emulator.seed("mrs", 1, state="FAILED")
    emulator.faults(rate=1.0, kinds={"throttle": 1.0}, retry_after=0.4, services=["mrs"])
    hook = mrs(emulator, max_attempts=2)
    started = time.monotonic()
    with pytest.raises(ThrottledError, match=r"APIGW\.0308") as info:
        hook.delete_jobs(targets, **CLUSTER)
    assert time.monotonic() - started >= 0.4
    # throttling that outlasts the retries stops the run, and the job is reported as not deleted
    assert "APIGW.0308" in info.value.report.failed[targets[0]]
    assert "the run stopped" in info.value.report.failed[targets[0]]
    assert emulator.live_ids("mrs") == set(targets)
    stats = emulator.stats()
    assert stats["mrs.list"] == 2  # the look before the delete, bounded by max_attempts
    assert "mrs.batch_delete" not in stats


def test_expired_token_is_refreshed_once(emulator):
    targets = emulator.seed("mrs", 2, state="FAILED")
    hook = mrs(emulator)
    hook.delete_jobs(targets[:1], **CLUSTER)
    emulator.expire_tokens()
    report = hook.delete_jobs(targets[1:], **CLUSTER)
    assert report.deleted == targets[1:]
    assert emulator.stats()["iam.tokens"] == 2


def test_short_lived_token_is_renewed_before_expiry(emulator):
    import time

    emulator.config(huawei_token_ttl=1.0)
    targets = emulator.seed("mrs", 2, state="FAILED")
    hook = mrs(emulator)
    hook.delete_jobs(targets[:1], **CLUSTER)
    time.sleep(1.1)
    hook.delete_jobs(targets[1:], **CLUSTER)
    stats = emulator.stats()
    assert stats["iam.tokens"] == 2
    assert stats["mrs.batch_delete"] == 2  # renewed proactively: no 401 round trip


def test_wrong_password_gives_a_clear_error(emulator):
    targets = emulator.seed("mrs", 1, state="FAILED")
    hook = huawei_hook("mrs", emulator.url)
    hook.connection.password = "not-the-password"
    with pytest.raises(AuthenticationError, match=r"demo-user.*demo-domain") as info:
        hook.delete_jobs(targets, **CLUSTER)
    assert "not-the-password" not in str(info.value)
    assert emulator.live_ids("mrs") == set(targets)
    assert "mrs.batch_delete" not in emulator.stats()


def test_forged_token_is_rejected_with_apigw_0301(emulator):
    import requests

    answer = requests.post(
        f"{emulator.url}/v2/0a1b2c3d4e5f60718293a4b5c6d7e8f9/clusters/{DEFAULT_CLUSTER_ID}/job-executions/batch-delete",
        json={"job_id_list": ["x"]},
        headers={"X-Auth-Token": "forged"},
        timeout=5,
    )
    assert answer.status_code == 401
    assert answer.json()["error_code"] == "APIGW.0301"


@pytest.mark.parametrize(
    "bad",
    [["not-a-uuid"], [123], "3c7a5a6e", None, [["nested"]], ["3c7a5a6e-2f0b-4d6b-9d0e-0f4b5c1e2a7d; DROP"]],
)
def test_invalid_ids_send_no_request(emulator, bad):
    hook = mrs(emulator)
    with pytest.raises(InvalidInputError):
        hook.delete_jobs(bad, **CLUSTER)
    assert emulator.stats().get("total", 0) == 0


def test_invalid_cluster_id_sends_no_request(emulator):
    targets = emulator.seed("mrs", 1, state="FAILED")
    with pytest.raises(InvalidInputError, match="cluster_id"):
        mrs(emulator).delete_jobs(targets, cluster_id="../../etc")
    assert emulator.stats().get("total", 0) == 0


def test_duplicates_are_deleted_once(emulator):
    target = emulator.seed("mrs", 1, state="FAILED")[0]
    hook = mrs(emulator)
    ids = hook.normalize_job_ids([target, target, target])
    assert ids == [target]
    hook.delete_jobs(ids, **CLUSTER)
    assert [j["delete_count"] for j in emulator.jobs("mrs")] == [1]


def test_get_job_states_pages_instead_of_one_call_per_job(emulator):
    present = emulator.seed("mrs", 150, state="FAILED")
    missing = [f"00000000-0000-4000-8000-{i:012d}" for i in range(150)]
    states = mrs(emulator).get_job_states([*present, *missing], **CLUSTER)
    assert all(not states[j].gone for j in present)
    assert all(states[j].gone for j in missing)
    stats = emulator.stats()
    assert stats["mrs.list"] == 2
    assert "mrs.detail" not in stats


def test_get_job_states_looks_up_few_ids_directly_in_a_big_cluster(emulator):
    emulator.seed("mrs", 450, state="FAILED")
    one = emulator.seed("mrs", 1, state="RUNNING", age_seconds=3600)  # oldest: on the last page
    states = mrs(emulator).get_job_states(one, **CLUSTER)
    assert states[one[0]].state == "RUNNING" and not states[one[0]].gone
    stats = emulator.stats()
    assert stats["mrs.list"] == 1 and stats["mrs.detail"] == 1


def test_list_jobs_filters_by_state_age_and_name(emulator):
    old_failed = emulator.seed("mrs", 3, state="FAILED", name="etl", age_seconds=8 * 86400)
    emulator.seed("mrs", 2, state="FAILED", name="etl", age_seconds=60)
    emulator.seed("mrs", 2, state="SUCCEEDED", name="etl", age_seconds=8 * 86400)
    emulator.seed("mrs", 2, state="FAILED", name="report", age_seconds=8 * 86400)
    job_filter = JobFilter.from_value({"states": ["FAILED"], "older_than": "7d", "name_pattern": "etl-*"})
    found = mrs(emulator).list_jobs(job_filter, **CLUSTER)
    assert sorted(j.job_id for j in found) == sorted(old_failed)


def test_unknown_cluster_is_a_clear_error(emulator):
    targets = emulator.seed("mrs", 1, state="FAILED")
    with pytest.raises(ApiError, match="12000003") as caught:
        mrs(emulator).delete_jobs(targets, cluster_id="11111111-2222-4333-8444-555555555555")
    assert type(caught.value) is ApiError and not caught.value.retryable  # a refusal, never "not found"
    report = caught.value.report
    assert report.deleted == [] and report.already_gone == [] and list(report.failed) == targets
    assert emulator.live_ids("mrs") == set(targets)


def test_job_ids_must_be_valid_uuids():
    with pytest.raises(InvalidJobIdError, match="not-a-uuid"):
        huawei_hook("mrs", "http://127.0.0.1:1").normalize_job_ids(["not-a-uuid"])
