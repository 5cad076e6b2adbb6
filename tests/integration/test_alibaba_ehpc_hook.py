"""``EhpcHook`` over real HTTP against the emulator: deletion (jobs, tasks, array indexes, executors),
batching, per-job outcomes, retries, authentication, validation and listing."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
import requests
from airflow.sdk import Connection

from airflow_provider_jobcleanup.exceptions import (
    AuthenticationError,
    ClockSkewError,
    InvalidInputError,
    TransientServiceError,
)
from airflow_provider_jobcleanup.hooks.alibaba_ehpc import EhpcHook
from airflow_provider_jobcleanup.models import JobFilter
from airflow_provider_jobcleanup.services import get_cleanup_hook
from tests.profiles.alibaba import ehpc_connection, ehpc_sts_connection


def make_hook(url: str, *, spec: dict[str, Any] | None = None, **extra: Any) -> EhpcHook:
    spec = spec or ehpc_connection(url, **extra)
    connection = Connection(
        conn_id="ehpc_test",
        conn_type=spec["conn_type"],
        login=spec["login"],
        password=spec["password"],
        extra=json.dumps(spec["extra"]),
    )
    hook = get_cleanup_hook("ehpc_test", connection=connection)
    assert isinstance(hook, EhpcHook)
    return hook


def jobs_by_id(emulator) -> dict[str, dict[str, Any]]:
    return {j["job_id"]: j for j in emulator.jobs("ehpc")}


def executor_states(emulator, job_id: str, task: str = "task0") -> dict[str, str]:
    return jobs_by_id(emulator)[job_id]["attrs"]["tasks"][task]


def test_delete_whole_jobs_and_confirm_gone(emulator, emulator_url):
    targets = emulator.seed("ehpc", 3, state="Failed")
    bystander = emulator.seed("ehpc", 1, state="Failed")
    hook = make_hook(emulator_url)
    assert not any(s.gone for s in hook.get_job_states(targets).values())

    report = hook.delete_jobs(targets)

    assert report.deleted == targets and not report.failed and not report.already_gone
    jobs = jobs_by_id(emulator)
    assert {jobs[j]["state"] for j in targets} == {"Deleted"}
    assert emulator.live_ids("ehpc") == set(bystander)
    states = hook.get_job_states(targets)
    assert all(s.gone and s.state == "Deleted" for s in states.values())
    assert report.api_calls == 3  # the test's ListJobs, the delete's own look (ListJobs), one DeleteJobs


def test_missing_and_deleted_jobs_are_already_gone(emulator, emulator_url):
    live = emulator.seed("ehpc", 4)
    deleted = emulator.seed("ehpc", 1, state="Deleted")
    never = "job-doesnotexist0001"
    hook = make_hook(emulator_url)

    report = hook.delete_jobs([live[0], deleted[0], live[1], never, live[2], live[3]])

    assert sorted(report.deleted) == sorted(live)
    assert sorted(report.already_gone) == sorted([deleted[0], never])
    assert not report.failed and not report.unaccounted
    states = hook.get_job_states([never, *deleted])
    assert states[never].gone and states[never].state is None
    assert states[deleted[0]].gone and states[deleted[0]].state == "Deleted"


def test_a_job_s_own_error_is_isolated_and_a_persistent_db_error_stops_the_run(emulator, emulator_url):
    good = emulator.seed("ehpc", 3, attrs={"tasks": {"task0": 2}})
    refused = emulator.seed("ehpc", 1, attrs={"fail_delete": "DbError"})
    hook = make_hook(emulator_url, max_attempts=2)

    # the emulator answers for the first bad entry of a call: the unknown task of good[1] (InvalidParams,
    # this job's own fault) comes before the DbError of `refused` (an outage: retried, then the run stops)
    with pytest.raises(TransientServiceError, match="DbError") as caught:
        hook.delete_jobs(
            [good[0], good[1], good[2], refused[0]],
            task_spec={good[1]: [{"TaskName": "no-such-task"}]},
        )

    report = caught.value.report
    assert report.deleted == [good[0]]
    assert "InvalidParams" in report.failed[good[1]]
    for job in (good[2], refused[0]):  # not answered: the run stopped before their outcome was known
        assert "the run stopped" in report.failed[job] and "DbError" in report.failed[job]
    assert not report.already_gone and not report.unaccounted
    assert emulator.live_ids("ehpc") == {good[1], good[2], refused[0]}
    # [all four] -> [good0, good1] -> [good0] ok, [good1] refused -> [good2, refused] DbError, retried once
    assert emulator.stats()["ehpc.DeleteJobs"] == 6


def test_delete_is_chunked_at_100_jobs_and_states_at_100_ids(emulator, emulator_url):
    ids = emulator.seed("ehpc", 250)
    hook = make_hook(emulator_url)

    report = hook.delete_jobs(ids)
    states = hook.get_job_states(ids)

    stats = emulator.stats()
    assert len(report.deleted) == 250
    assert stats["ehpc.DeleteJobs"] == 3
    assert stats["ehpc.ListJobs"] == 3 + 3  # the delete's look, then get_job_states
    assert all(s.gone for s in states.values())


def test_throttling_is_retried_after_x_acs_retry_after_milliseconds(emulator, emulator_url):
    ids = emulator.seed("ehpc", 5)
    # every second request throttled for 0.2 s; a backoff of 30 s would show if the hint were ignored
    emulator.faults(rate=0.5, kinds={"throttle": 1.0}, retry_after=0.2, seed=7, services=["ehpc"])
    hook = make_hook(emulator_url, retry_initial_wait=30, retry_max_wait=30, max_attempts=10)

    started = time.monotonic()
    report = hook.delete_jobs(ids)
    during_delete = _throttles(emulator_url)
    states = hook.get_job_states(ids)
    elapsed = time.monotonic() - started

    injected = _throttles(emulator_url)
    assert during_delete >= 1
    assert report.deleted == ids and all(s.gone for s in states.values())
    assert report.api_calls == 2 + during_delete  # the look and the delete, plus every retry
    assert hook.transport.retries == injected
    assert 0.2 * injected <= elapsed < 10


def _throttles(url: str) -> int:
    return requests.get(f"{url}/_emulator/stats", timeout=10).json()["faults"].get("throttle", 0)


def test_service_unavailable_is_retried(emulator, emulator_url):
    ids = emulator.seed("ehpc", 3)
    emulator.faults(rate=0.5, kinds={"unavailable": 1.0}, retry_after=0.01, seed=3, services=["ehpc"])
    report = make_hook(emulator_url, max_attempts=10).delete_jobs(ids)
    assert report.deleted == ids


def test_wrong_secret_is_a_clear_authentication_error_without_retries(emulator, emulator_url):
    ids = emulator.seed("ehpc", 2)
    spec = ehpc_connection(emulator_url)
    spec["password"] = "not-the-secret"
    hook = make_hook(emulator_url, spec=spec)

    with pytest.raises(AuthenticationError, match=r"SignatureDoesNotMatch|signature") as caught:
        hook.delete_jobs(ids)

    assert caught.value.error_code == "SignatureDoesNotMatch"
    assert "not-the-secret" not in str(caught.value)
    assert emulator.stats()["ehpc.ListJobs"] == 1  # refused at the look: no retry, no delete sent
    assert emulator.stats().get("ehpc.DeleteJobs", 0) == 0
    assert sorted(caught.value.report.failed) == sorted(ids)
    assert emulator.live_ids("ehpc") == set(ids)
    ok, message = hook.test_connection()
    assert not ok and "AccessKey" in message


def test_unknown_access_key_and_wrong_sts_token_are_refused(emulator, emulator_url):
    spec = ehpc_connection(emulator_url)
    spec["login"] = "LTAI-unknown-key"
    with pytest.raises(AuthenticationError) as caught:
        make_hook(emulator_url, spec=spec).check_access()
    assert caught.value.error_code == "InvalidAccessKeyId.NotFound"

    sts = ehpc_sts_connection(emulator_url)
    sts["extra"]["security_token"] = "expired-token"
    with pytest.raises(AuthenticationError):
        make_hook(emulator_url, spec=sts).check_access()


def test_sts_credentials_work(emulator, emulator_url):
    ids = emulator.seed("ehpc", 2)
    hook = make_hook(emulator_url, spec=ehpc_sts_connection(emulator_url))
    assert hook.test_connection() == (
        True,
        "Connection works: Alibaba Cloud E-HPC Instant accepted the credentials (ListJobs)",
    )
    assert hook.delete_jobs(ids).deleted == ids


def test_task_and_array_index_deletion(emulator, emulator_url):
    [job] = emulator.seed("ehpc", 1, state="Running", attrs={"tasks": {"task0": 5, "post": 2}})
    hook = make_hook(emulator_url)
    arrays = {"task_spec": {job: [{"TaskName": "task0", "ArrayIndex": [1, 3]}]}}
    assert not hook.get_job_states([job], **arrays)[job].gone

    report = hook.delete_jobs([job], **arrays)

    assert report.deleted == [job]
    assert executor_states(emulator, job) == {
        "0": "Running",
        "1": "Deleted",
        "2": "Running",
        "3": "Deleted",
        "4": "Running",
    }
    assert job in emulator.live_ids("ehpc")  # the job itself stays
    assert hook.get_job_states([job], **arrays)[job].gone
    assert not hook.get_job_states([job])[job].gone

    whole_task = {"task_spec": {job: [{"TaskName": "post"}]}}
    assert not hook.get_job_states([job], **whole_task)[job].gone
    assert hook.delete_jobs([job], **whole_task).deleted == [job]
    assert set(executor_states(emulator, job, "post").values()) == {"Deleted"}
    assert hook.get_job_states([job], **whole_task)[job].gone


def test_executor_deletion_of_a_250_executor_array_job(emulator, emulator_url):
    [job] = emulator.seed("ehpc", 1, state="Running", attrs={"tasks": {"task0": 250}})
    executors = [f"{job}-task0-{i}" for i in range(250)]
    hook = make_hook(emulator_url)
    assert not hook.get_job_states([job], executor_ids=executors)[job].gone

    report = hook.delete_jobs([job], executor_ids=executors)

    stats = emulator.stats()
    assert report.deleted == [job]
    assert stats["ehpc.DeleteJobs"] == 3
    assert set(executor_states(emulator, job).values()) == {"Deleted"}
    assert hook.get_job_states([job], executor_ids=executors)[job].gone
    assert emulator.stats()["ehpc.ListExecutors"] == 9  # 3 before, 3 for the delete's look, 3 after


def test_executors_of_a_missing_job_are_already_gone(emulator, emulator_url):
    [job] = emulator.seed("ehpc", 1, attrs={"tasks": {"task0": 3}})
    gone = "job-vanished00001"
    report = make_hook(emulator_url).delete_jobs(
        [job, gone], executor_ids=[f"{job}-task0-0", f"{gone}-task0-0", f"{job}-task0-2"]
    )
    assert report.deleted == [job] and report.already_gone == [gone]
    assert executor_states(emulator, job) == {"0": "Deleted", "1": "Failed", "2": "Deleted"}


def test_job_scheduler_is_sent(emulator, emulator_url):
    hpc = emulator.seed("ehpc", 1)
    k8s = emulator.seed("ehpc", 1, attrs={"job_scheduler": "K8S"})
    report = make_hook(emulator_url).delete_jobs([*hpc, *k8s], job_scheduler="K8S")
    assert report.deleted == k8s and report.already_gone == hpc  # HPC jobs are invisible to a K8S request


@pytest.mark.parametrize(
    ("job_ids", "params", "message"),
    [
        (["job-abcd", "JOB-1"], {}, "invalid job id 'JOB-1'"),
        ([42], {}, "invalid job id 42"),
        (["job-abcd"], {"task_spec": {"job-abcd": [{"TaskName": "t", "ArrayIndex": [-1]}]}}, "ArrayIndex -1"),
        (["job-abcd"], {"task_spec": {"job-abcd": [{"TaskName": "t", "ArrayIndex": []}]}}, "non-empty list"),
        (["job-abcd"], {"task_spec": {"job-abcd": [{"Name": "t"}]}}, "unknown keys \\['Name'\\]"),
        (
            ["job-abcd"],
            {"task_spec": {"job-other": [{"TaskName": "t"}]}},
            "'job-other', which is not in job_ids",
        ),
        (["job-abcd"], {"executor_ids": ["job-abcd-task0"]}, "invalid executor id 'job-abcd-task0'"),
        (["job-abcd"], {"executor_ids": ["job-zzzz-task0-1"]}, "'job-zzzz', which is not in job_ids"),
        (
            ["job-abcd"],
            {"executor_ids": ["job-abcd-t-1"], "task_spec": {"job-abcd": [{"TaskName": "t"}]}},
            "both task_spec and executor_ids",
        ),
        (["job-abcd"], {"job_scheduler": "SLURM"}, "job_scheduler must be one of"),
        (["job-abcd"], {"cluster_id": "x"}, "does not take \\['cluster_id'\\]"),
    ],
)
def test_invalid_input_fails_before_any_request(emulator, emulator_url, job_ids, params, message):
    hook = make_hook(emulator_url)
    with pytest.raises(InvalidInputError, match=message):
        hook.delete_jobs(job_ids, **params)
    if "invalid job id" not in message:  # status checks take ids already normalized (the sensor does it)
        with pytest.raises(InvalidInputError, match=message):
            hook.get_job_states(hook.normalize_job_ids(job_ids), **params)
    assert emulator.stats().get("total", 0) == 0


def test_validate_params_normalizes_templated_json(emulator_url):
    hook = make_hook(emulator_url)
    params = hook.validate_params(
        {"task_spec": '{"job-abcd": [{"TaskName": "t0", "ArrayIndex": [2, 2, 1]}]}', "job_scheduler": "HPC"}
    )
    assert params == {
        "task_spec": {"job-abcd": [{"ArrayIndex": [2, 1], "TaskName": "t0"}]},
        "executor_ids": None,
        "job_scheduler": "HPC",
    }
    assert hook.validate_params(params) == params


def test_list_jobs_with_filters_and_paging(emulator, emulator_url):
    day = 86400
    old_failed = emulator.seed_jobs(
        "ehpc",
        [
            {"name": "etl-a", "state": "Failed", "age_seconds": 3 * day},
            {"name": "etl-b", "state": "Failed", "age_seconds": 2 * day},
        ],
    )
    emulator.seed_jobs(
        "ehpc",
        [
            {"name": "etl-new", "state": "Failed", "age_seconds": 60},
            {"name": "etl-run", "state": "Running", "age_seconds": 3 * day},
            {"name": "other", "state": "Failed", "age_seconds": 3 * day},
            {"name": "etl-gone", "state": "Deleted", "age_seconds": 3 * day},
        ],
    )
    emulator.seed("ehpc", 150, state="Succeeded", name="bulk")
    hook = make_hook(emulator_url)

    selected = hook.list_jobs(
        JobFilter.from_value({"states": ["failed"], "older_than": "1d", "name_pattern": "etl-*"})
    )
    assert sorted(j.job_id for j in selected) == sorted(old_failed)
    assert all(j.created_at is not None for j in selected)

    everything = hook.list_jobs(JobFilter())
    assert len(everything) == 155  # the Deleted record is left out
    deleted = hook.list_jobs(JobFilter(states=("Deleted",)))
    assert [j.name for j in deleted] == ["etl-gone"]
    assert emulator.stats()["ehpc.ListJobs"] == 1 + 2 + 1  # filtered, 2 pages of 100, Deleted


def test_check_access_makes_one_read_only_call(emulator, emulator_url):
    ids = emulator.seed("ehpc", 3)
    assert make_hook(emulator_url).test_connection()[0]
    assert emulator.stats()["ehpc.ListJobs"] == 1
    assert emulator.live_ids("ehpc") == set(ids)


def test_stale_request_date_is_refused(emulator, emulator_url):
    hook = make_hook(emulator_url)
    hook.transport.auth.clock = lambda: "2020-01-01T00:00:00Z"  # type: ignore[union-attr]
    with pytest.raises(ClockSkewError, match="machine clock") as caught:
        hook.check_access()
    assert caught.value.error_code == "InvalidTimeStamp.Expired"



def test_a_delete_refused_with_an_unknown_code_is_a_failure_never_already_gone(emulator, emulator_url):
    [good] = emulator.seed("ehpc", 1, state="Failed")
    [refused] = emulator.seed("ehpc", 1, state="Failed", attrs={"fail_delete": "Job.Vanished"})

    report = make_hook(emulator_url, max_attempts=2).delete_jobs([good, refused])

    assert report.deleted == [good] and report.already_gone == []
    assert list(report.failed) == [refused] and "Job.Vanished" in report.failed[refused]
    assert emulator.live_ids("ehpc") == {refused}
