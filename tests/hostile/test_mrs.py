"""MRS against a misbehaving server: nothing is reported deleted or gone unless the service says so."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import pytest

from airflow_provider_jobcleanup.exceptions import ApiError, ClockSkewError, UnexpectedAnswerError
from tests.hostile.conftest import hook_for, secrets_of
from tests.hostile.toolkit import Reply, reply, rewrite
from tests.profiles import all_profiles

PROFILES = {p.name: p for p in all_profiles() if p.service == "mrs"}
LIST = r"/job-executions$"
DELETE = r"/batch-delete$"


@pytest.fixture(params=sorted(PROFILES))
def mrs(request):
    return PROFILES[request.param]


def names_only_requested(hostile, requested: list[str]) -> None:
    """No delete names a job that was not requested."""
    wanted = {job_id.lower() for job_id in requested}
    for seen in hostile.requests("POST", DELETE):
        sent = json.loads(seen.body)["job_id_list"]
        assert set(sent) <= wanted, f"a delete named unrequested jobs {set(sent) - wanted}"


def test_an_error_code_inside_a_200_is_that_error_never_deleted(mrs, emulator, hostile):
    job_ids, params = mrs.seed(emulator, 2)
    hostile.on("POST", DELETE, reply(200, {"error_code": "0183", "error_msg": "The job is running"}))
    hook = hook_for(mrs, hostile.url)

    report = hook.delete_jobs(job_ids, **params)

    assert report.deleted == [] and report.already_gone == []
    assert sorted(report.failed) == sorted(job_ids)
    assert all("0183" in reason and "running" in reason for reason in report.failed.values())
    assert emulator.live_ids("mrs") >= set(job_ids)


def test_a_silently_accepted_unknown_id_is_never_reported_deleted(mrs, emulator, hostile):
    """The delete answers 200 for every id (as some MRS versions do); the id that never existed is
    ``already_gone`` from the look before the delete, and it is never sent."""
    job_ids, params = mrs.seed(emulator, 2)
    never = str(uuid.uuid4())
    hostile.on("POST", DELETE, reply(200, b""))
    hook = hook_for(mrs, hostile.url)

    report = hook.delete_jobs([*job_ids, never], **params)

    assert report.already_gone == [never]
    assert never not in report.deleted
    assert all(never not in seen.text() for seen in hostile.requests("POST", DELETE))
    names_only_requested(hostile, job_ids)


def test_an_upper_case_uuid_is_the_same_job_as_the_listed_lower_case_one(mrs, emulator, hostile):
    job_ids, params = mrs.seed(emulator, 2)
    hook = hook_for(mrs, hostile.url)
    upper = [job_id.upper() for job_id in job_ids]

    states = hook.get_job_states(upper, **params)
    assert all(not states[job_id].gone for job_id in upper)
    dry = hook.dry_run_report(upper, **params)
    assert sorted(dry.would_delete) == sorted(job_ids) and dry.already_gone == []

    report = hook.delete_jobs(upper, **params)
    assert sorted(report.deleted) == sorted(job_ids) and report.already_gone == []
    assert emulator.live_ids("mrs").isdisjoint(job_ids)


@pytest.mark.parametrize("change", ["missing", "renamed", "text"], ids=["missing", "renamed", "not-a-number"])
def test_a_listing_without_its_total_is_not_an_answer(mrs, emulator, hostile, change):
    job_ids, params = mrs.seed(emulator, 2)

    def spoil(body: dict[str, Any]) -> dict[str, Any]:
        total = body.pop("total_record")
        if change == "renamed":
            body["totalRecord"] = total
        elif change == "text":
            body["total_record"] = "many"
        return body

    hostile.on("GET", LIST, rewrite(spoil))
    hook = hook_for(mrs, hostile.url)

    with pytest.raises(UnexpectedAnswerError, match="total_record") as caught:
        hook.delete_jobs(job_ids, **params)
    assert caught.value.report.deleted == [] and caught.value.report.already_gone == []
    with pytest.raises(UnexpectedAnswerError):
        hook.get_job_states(job_ids, **params)
    assert hostile.requests("POST", DELETE) == []


def test_rows_shifting_between_pages_never_make_a_live_job_gone(mrs, emulator, hostile):
    """Others delete jobs between two page fetches: page 2 no longer holds the job that moved to page 1.
    The totals disagree, so absence proves nothing and the detail call decides."""
    job_ids, params = mrs.seed(emulator, 150)
    pages = {"count": 0}

    def shift(body: dict[str, Any]) -> dict[str, Any]:
        pages["count"] += 1
        if pages["count"] == 2:  # the second page, after 10 jobs of page 1 were removed by someone else
            body["total_record"] -= 10
            body["job_list"] = body["job_list"][10:]
        return body

    hostile.on("GET", LIST, rewrite(shift))
    hook = hook_for(mrs, hostile.url)

    states = hook.get_job_states(job_ids, **params)

    assert not any(status.gone for status in states.values()), "a live job was taken as gone"
    assert hostile.requests("GET", r"/job-executions/[0-9a-f-]+$"), "absent jobs are confirmed one by one"


def test_a_huge_listing_is_refused_and_nothing_deleted(mrs, emulator, hostile):
    job_ids, params = mrs.seed(emulator, 2)

    def huge(seen, forward) -> Reply:
        return Reply(200, {"Content-Type": "application/json"}, (b" " * 65536 for _ in range(3200)))

    hostile.on("GET", LIST, huge)
    hook = hook_for(mrs, hostile.url, max_answer_bytes=1024 * 1024)

    started = time.monotonic()
    with pytest.raises(UnexpectedAnswerError) as caught:
        hook.delete_jobs(job_ids, **params)
    assert time.monotonic() - started < 20
    assert caught.value.report.deleted == [] and caught.value.report.already_gone == []
    assert hostile.requests("POST", DELETE) == []


def test_a_clock_skew_answer_stops_at_once_with_the_clock_message(mrs, emulator, hostile):
    job_ids, params = mrs.seed(emulator, 100)
    skew = {"error_code": "APIG.0201", "error_msg": "Incorrect X-Sdk-Date: the request time is expired"}
    hostile.on("*", r"/v2/", reply(401, skew))
    hook = hook_for(mrs, hostile.url)

    with pytest.raises(ClockSkewError, match="clock") as caught:
        hook.delete_jobs(job_ids, **params)

    assert "NTP" in str(caught.value)
    sent = hostile.requests("*", r"/v2/")
    # no retries, no bisection: the refused call (and, with a token, its one re-login resend)
    assert len(sent) <= 2, f"{len(sent)} requests for a clock that is off"
    assert hostile.requests("POST", DELETE) == []
    report = caught.value.report
    assert report.deleted == [] and report.already_gone == [] and sorted(report.failed) == sorted(job_ids)
    for secret in secrets_of(mrs, hostile.url):
        assert secret not in str(caught.value)


def test_an_unknown_code_inside_a_200_delete_is_not_success(mrs, emulator, hostile):
    job_ids, params = mrs.seed(emulator, 2)
    hostile.on("POST", DELETE, reply(200, {"error_msg": "partially failed"}))
    hook = hook_for(mrs, hostile.url)

    with pytest.raises(ApiError) as caught:
        hook.delete_jobs(job_ids, **params)
    assert caught.value.report.deleted == []


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (
            lambda headers, body: ({k: v for k, v in headers.items() if k.lower() != "x-subject-token"}, body),
            "X-Subject-Token",
        ),
        (lambda headers, body: (headers, {"token": {"project": {"id": "p"}}}), "expires_at"),
    ],
    ids=["no-subject-token", "no-expiry"],
)
def test_an_iam_token_answer_of_the_wrong_shape_is_refused(emulator, hostile, change, error):
    profile = PROFILES["mrs-password"]
    job_ids, params = profile.seed(emulator, 2)

    def spoil(seen, forward) -> Reply:
        answer = forward()
        headers, body = change(dict(answer.headers), json.loads(bytes(answer.body)))  # type: ignore[arg-type]
        headers = {k: v for k, v in headers.items() if k.lower() != "content-length"}
        return Reply(answer.status, headers, json.dumps(body).encode())

    hostile.on("POST", r"/v3/auth/tokens$", spoil)
    hook = hook_for(profile, hostile.url)

    with pytest.raises(ApiError, match=error) as caught:
        hook.delete_jobs(job_ids, **params)
    assert caught.value.report.deleted == [] and caught.value.report.already_gone == []
    assert hostile.requests("POST", DELETE) == []
