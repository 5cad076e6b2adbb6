"""E-HPC Instant against a misbehaving server: nothing is reported deleted or gone unless the service's own
evidence says so (``Deleted``, ``JobNotFound``, or a ``JobIds``-filtered listing proven complete), no request
names a job that was not asked for, and every odd answer ends the run in bounded time."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_jobcleanup.exceptions import (
    ApiError,
    ClockSkewError,
    TransientServiceError,
    UnexpectedAnswerError,
)
from airflow_provider_jobcleanup.models import JobFilter
from tests.hostile.conftest import hook_for
from tests.hostile.toolkit import Action, Reply, Seen, reply, rewrite
from tests.profiles.alibaba import PROFILES

AKSK, STS = PROFILES
ANY = r"^/(regions/[^/]+/?)?$"  # E-HPC is RPC style: every action is POST / (per region)


def on_action(name: str, action: Action) -> Action:
    """``action`` for requests of the E-HPC action ``name``; every other request is forwarded."""
    return by_action({name: action})


def by_action(actions: dict[str, Action]) -> Action:
    """One rule for several actions (the hostile server applies the first rule whose path matches)."""

    def run(seen: Seen, forward: Callable[[], Reply]) -> Reply:
        action = actions.get(seen.headers.get("x-acs-action", ""))
        return action(seen, forward) if action else forward()

    return run


def calls(hostile, action: str) -> list[Seen]:
    return [seen for seen in hostile.requests("POST", ANY) if seen.headers.get("x-acs-action") == action]


def jobs_named(hostile) -> set[str]:
    """Every job id a request named (DeleteJobs JobSpec, ListJobs JobIds, GetJob JobId)."""
    named: set[str] = set()
    for seen in hostile.requests("POST", ANY):
        query = seen.query
        if "JobId" in query:
            named.add(query["JobId"])
        if "JobSpec" in query:
            named |= {entry["JobId"] for entry in json.loads(query["JobSpec"])}
        if "Filter" in query:
            named |= set(json.loads(query["Filter"]).get("JobIds") or [])
    return named


def rows(job_ids: list[str], status: str = "Failed") -> list[dict[str, Any]]:
    return [
        {"JobId": job_id, "JobName": "x", "Status": status, "CreateTime": "2024-01-01 00:00:00"} for job_id in job_ids
    ]


def assert_nothing_claimed(error: ApiError, job_ids: list[str]) -> None:
    report = error.report
    assert report is not None and report.deleted == [] and report.already_gone == []
    assert sorted(report.failed) == sorted(job_ids)


# ----------------------------------------------------------------- success answers that are not successes
@pytest.mark.parametrize(
    "body",
    [
        {"Success": True},  # no RequestId
        {"RequestId": "R-1", "Code": "InternalError", "Message": "delete failed"},  # an error inside a 200
        {"RequestId": "R-1", "Success": False},
    ],
    ids=["no-request-id", "code-in-200", "success-false"],
)
def test_a_delete_answer_that_is_not_a_success_claims_nothing(emulator, hostile, body):
    job_ids = emulator.seed("ehpc", 3, state="Failed")
    hostile.on("POST", ANY, on_action("DeleteJobs", reply(200, body)))
    hook = hook_for(AKSK, hostile.url)

    with pytest.raises(ApiError) as caught:
        hook.delete_jobs(job_ids)

    assert caught.value.stops_run or caught.value.retryable
    assert_nothing_claimed(caught.value, job_ids)
    assert emulator.live_ids("ehpc") >= set(job_ids)
    assert len(calls(hostile, "DeleteJobs")) <= 3  # one call and its retries, no bisection


def test_a_renamed_job_list_is_not_an_empty_listing(emulator, hostile):
    job_ids = emulator.seed("ehpc", 2, state="Failed")
    hostile.on("POST", ANY, on_action("ListJobs", rewrite(lambda b: {"Jobs": b["JobList"], "TotalCount": 0})))
    hook = hook_for(AKSK, hostile.url)

    with pytest.raises(UnexpectedAnswerError, match="ListJobs"):
        hook.get_job_states(job_ids)
    with pytest.raises(UnexpectedAnswerError) as caught:
        hook.delete_jobs(job_ids)
    assert_nothing_claimed(caught.value, job_ids)
    assert calls(hostile, "DeleteJobs") == []


# ----------------------------------------------------------------- listings that prove nothing
@pytest.mark.parametrize("spelling", ["foreign", "upper-case"])
def test_a_listing_that_ignored_the_job_ids_filter_proves_nothing(emulator, hostile, spelling):
    live = emulator.seed("ehpc", 2, state="Failed")
    bystanders = emulator.seed("ehpc", 3, state="Failed")
    never = "job-neverexisted0001"
    shown = bystanders if spelling == "foreign" else [job.upper() for job in live]
    # every requested job is left out, other rows are shown, and the total agrees with them
    hostile.on("POST", ANY, on_action("ListJobs", rewrite(lambda b: {**b, "JobList": rows(shown), "TotalCount": 3})))
    hook = hook_for(AKSK, hostile.url)

    report = hook.delete_jobs([*live, never])

    assert report.deleted == live  # GetJob found them; the delete answer confirmed it
    assert report.already_gone == [never]  # GetJob answered JobNotFound
    assert sorted(s.query["JobId"] for s in calls(hostile, "GetJob")) == sorted([*live, never])
    assert jobs_named(hostile) == {*live, never}, "a request named a job that was not asked for"
    assert emulator.live_ids("ehpc") == set(bystanders)


def test_a_missing_total_makes_absence_prove_nothing(emulator, hostile):
    job_ids = emulator.seed("ehpc", 3, state="Failed")
    hidden = job_ids[1]

    def drop(body: dict[str, Any]) -> dict[str, Any]:
        body = {k: v for k, v in body.items() if k != "TotalCount"}
        body["JobList"] = [row for row in body["JobList"] if row["JobId"] != hidden]
        return body

    hostile.on("POST", ANY, on_action("ListJobs", rewrite(drop)))
    hook = hook_for(AKSK, hostile.url)

    states = hook.get_job_states(job_ids)
    assert not any(state.gone for state in states.values())
    assert [s.query["JobId"] for s in calls(hostile, "GetJob")] == [hidden]
    report = hook.delete_jobs(job_ids)
    assert report.deleted == job_ids and not report.already_gone


def test_a_listing_whose_total_disagrees_makes_absence_prove_nothing(emulator, hostile):
    job_ids = emulator.seed("ehpc", 2, state="Failed")

    def drop(body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "JobList": body["JobList"][:1], "TotalCount": 2}

    hostile.on("POST", ANY, on_action("ListJobs", rewrite(drop)))
    report = hook_for(AKSK, hostile.url).delete_jobs(job_ids)

    assert sorted(report.deleted) == sorted(job_ids) and not report.already_gone
    assert len(calls(hostile, "GetJob")) == 1


def test_conflicting_duplicate_rows_are_not_evidence(emulator, hostile):
    [job] = emulator.seed("ehpc", 1, state="Failed")
    # the job listed twice, "last row wins" would read Deleted
    hostile.on(
        "POST",
        ANY,
        on_action("ListJobs", rewrite(lambda b: {**b, "JobList": [*b["JobList"], *rows([job], "Deleted")]})),
    )
    hook = hook_for(AKSK, hostile.url)

    assert not hook.get_job_states([job])[job].gone
    report = hook.delete_jobs([job])
    assert report.deleted == [job] and not report.already_gone
    assert emulator.live_ids("ehpc") == set()


def test_an_unknown_error_code_is_never_job_not_found(emulator, hostile):
    job_ids = emulator.seed("ehpc", 2, state="Failed")
    unknown = reply(400, {"RequestId": "R", "Code": "Job.NotExist", "Message": "no such job"})
    hidden = rewrite(lambda b: {**b, "JobList": [], "TotalCount": None})
    hostile.on("POST", ANY, by_action({"ListJobs": hidden, "GetJob": unknown}))
    hook = hook_for(AKSK, hostile.url)

    with pytest.raises(ApiError, match=r"Job\.NotExist") as caught:
        hook.delete_jobs(job_ids)
    assert_nothing_claimed(caught.value, job_ids)
    assert calls(hostile, "DeleteJobs") == []


def test_a_detail_answer_about_another_job_is_refused(emulator, hostile):
    [job, other] = emulator.seed("ehpc", 2, state="Failed")

    def swap(body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "JobInfo": {**body["JobInfo"], "JobId": other, "Status": "Deleted"}}

    hidden = rewrite(lambda b: {**b, "JobList": [], "TotalCount": None})
    hostile.on("POST", ANY, by_action({"ListJobs": hidden, "GetJob": rewrite(swap)}))
    hook = hook_for(AKSK, hostile.url)

    with pytest.raises(UnexpectedAnswerError, match="GetJob") as caught:
        hook.delete_jobs([job])
    assert_nothing_claimed(caught.value, [job])
    assert emulator.live_ids("ehpc") == {job, other}


# ----------------------------------------------------------------- executors
def test_executor_listing_without_total_falls_back_to_get_job(emulator, hostile):
    [job] = emulator.seed("ehpc", 1, state="Running", attrs={"tasks": {"task0": 3}})
    gone = "job-vanished00000001"
    executors = [f"{job}-task0-0", f"{job}-task0-2", f"{gone}-task0-0"]
    hostile.on(
        "POST", ANY, on_action("ListExecutors", rewrite(lambda b: {"RequestId": b["RequestId"], "Executors": []}))
    )
    hook = hook_for(AKSK, hostile.url)

    report = hook.delete_jobs([job, gone], executor_ids=executors)

    assert report.deleted == [job] and report.already_gone == [gone]
    assert sorted(s.query["JobId"] for s in calls(hostile, "GetJob")) == sorted([job, gone])
    [delete] = calls(hostile, "DeleteJobs")
    assert json.loads(delete.query["ExecutorIds"]) == executors[:2]


def test_executors_missing_from_every_answer_are_not_gone(emulator, hostile):
    [job] = emulator.seed("ehpc", 1, state="Running", attrs={"tasks": {"task0": 2}})
    no_rows = rewrite(lambda b: {**b, "Executors": [], "TotalCount": None})
    no_tasks = rewrite(lambda b: {**b, "JobInfo": {**b["JobInfo"], "Tasks": []}})
    hostile.on("POST", ANY, by_action({"ListExecutors": no_rows, "GetJob": no_tasks}))
    hook = hook_for(AKSK, hostile.url)

    state = hook.get_job_states([job], executor_ids=[f"{job}-task0-1"])[job]
    assert not state.gone
    assert len(calls(hostile, "GetJob")) == 1


# ----------------------------------------------------------------- the run stops, the report stays true
def test_a_persistent_db_error_on_the_second_batch_stops_the_run(emulator, hostile):
    job_ids = emulator.seed("ehpc", 150, state="Failed")
    seen_deletes = {"count": 0}

    def second_fails(seen: Seen, forward: Callable[[], Reply]) -> Reply:
        seen_deletes["count"] += 1
        if seen_deletes["count"] == 1:
            return forward()
        body = {"RequestId": "R", "Code": "DbError", "Message": "database error"}
        return Reply(406, {"Content-Type": "application/json"}, json.dumps(body).encode())

    hostile.on("POST", ANY, on_action("DeleteJobs", second_fails))
    hook = hook_for(AKSK, hostile.url, max_attempts=3)

    with pytest.raises(TransientServiceError, match="DbError") as caught:
        hook.delete_jobs(job_ids)

    report = caught.value.report
    assert report.deleted == job_ids[:100]
    assert sorted(report.failed) == sorted(job_ids[100:])
    assert all("the run stopped" in reason for reason in report.failed.values())
    assert not report.already_gone
    assert len(calls(hostile, "DeleteJobs")) == 1 + 3  # the first batch, then one call and its retries


def test_clock_skew_names_the_machine_clock_and_stops_at_once(emulator, hostile):
    job_ids = emulator.seed("ehpc", 2, state="Failed")
    hostile.on(
        "POST",
        ANY,
        reply(400, {"RequestId": "R", "Code": "RequestTimeTooSkewed", "Message": "The request time is too skewed."}),
    )
    hook = hook_for(AKSK, hostile.url)

    with pytest.raises(ClockSkewError, match="clock") as caught:
        hook.delete_jobs(job_ids)
    assert_nothing_claimed(caught.value, job_ids)
    assert len(hostile.seen) == 1


def test_an_echoed_sts_token_and_secret_are_redacted(emulator, hostile):
    job_ids = emulator.seed("ehpc", 2, state="Failed")
    spec = STS.connection(hostile.url)
    token, secret = spec["extra"]["security_token"], spec["password"]

    def echo(seen: Seen, forward: Callable[[], Reply]) -> Reply:
        message = f"denied: token={seen.headers.get('x-acs-security-token')} secret={secret}"
        body = {"RequestId": "R", "Code": "InvalidParams", "Message": message}
        return Reply(400, {"Content-Type": "application/json"}, json.dumps(body).encode())

    hostile.on("POST", ANY, on_action("DeleteJobs", echo))
    hook = hook_for(STS, hostile.url)

    report = hook.delete_jobs(job_ids)

    text = json.dumps(report.to_dict())
    assert set(report.failed) == set(job_ids) and "***" in text
    assert token not in text and secret not in text


# ----------------------------------------------------------------- listing
def test_an_endless_job_list_ends_at_the_page_cap(emulator, hostile):
    counter = {"page": 0}

    def endless(body: dict[str, Any]) -> dict[str, Any]:
        counter["page"] += 1
        fresh = [f"job-endless{counter['page']:04d}{i:04d}" for i in range(100)]
        return {"RequestId": body["RequestId"], "JobList": rows(fresh)}

    hostile.on("POST", ANY, on_action("ListJobs", rewrite(endless)))
    hook = hook_for(AKSK, hostile.url, max_list_pages=3)

    started = time.monotonic()
    with pytest.raises(UnexpectedAnswerError, match="3 pages"):
        hook.list_jobs(JobFilter())
    assert len(calls(hostile, "ListJobs")) == 3 and time.monotonic() - started < 20


def test_a_listing_showing_a_job_twice_with_different_states_is_refused(emulator, hostile):
    [job] = emulator.seed("ehpc", 1, state="Failed")
    hostile.on(
        "POST",
        ANY,
        on_action(
            "ListJobs", rewrite(lambda b: {**b, "JobList": [*b["JobList"], *rows([job], "Running")], "TotalCount": 2})
        ),
    )
    with pytest.raises(UnexpectedAnswerError, match="twice"):
        hook_for(AKSK, hostile.url).list_jobs(JobFilter(states=("Failed",)))


def test_unknown_filter_states_are_refused_before_any_request(hostile):
    with pytest.raises(ValueError, match="not ehpc states"):
        hook_for(AKSK, hostile.url).list_jobs(JobFilter(states=("Finished",)))
    assert hostile.seen == []
