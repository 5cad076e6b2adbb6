"""Huawei RES against a misbehaving server: nothing is reported deleted or gone without RES's own evidence,
no request names a job that was not asked for, and an outage stops the run within a bounded number of calls.

RES deletes one job per call (a pool of ``concurrency`` calls); a job is identified by its type and id, so
only the detail call's not-found code (``RES.1001``) says a job is gone.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from typing import Any

import pytest

from airflow_provider_jobcleanup.exceptions import (
    ApiError,
    ClockSkewError,
    EndpointNotFoundError,
    InvalidInputError,
    UnexpectedAnswerError,
)
from airflow_provider_jobcleanup.hooks.huawei_res import ResHook
from airflow_provider_jobcleanup.models import JobFilter
from tests.hostile.conftest import hook_for, secrets_of
from tests.hostile.toolkit import Reply, Seen, reply, rewrite
from tests.profiles.huawei import PROFILES, RES_PARAMS

RES_PROFILES = [p for p in PROFILES if p.service == "res"]

DELETE = r"/del-job$"
DETAIL = r"/jobs/[^/]+$"
LIST = r"/jobs$"


@pytest.fixture(params=RES_PROFILES, ids=[p.name for p in RES_PROFILES])
def res_profile(request):
    return request.param


def seed(emulator, count: int, job_type: str = "etl", **spec: Any) -> list[str]:
    return emulator.seed("res", count, state=spec.pop("state", "FAILED"), attrs={"type": job_type}, **spec)


def deleted_ids(hostile) -> list[str]:
    """The job ids named by the delete calls that reached the server."""
    return [json.loads(seen.body)["job_id"] for seen in hostile.requests("DELETE", DELETE)]


def assert_report_adds_up(report, job_ids):
    assert sorted([*report.deleted, *report.already_gone, *report.failed]) == sorted(job_ids)
    assert report.unaccounted == []


def assert_no_secret_in(text: str, profile, url: str) -> None:
    for secret in secrets_of(profile, url):
        assert secret not in text


# ----------------------------------------------------------------- error codes inside a 200
@pytest.mark.parametrize(
    "refusal",
    [
        {"is_success": "false"},
        {"is_success": False},
        {"is_success": "False", "error_code": "RES.9999", "error_msg": "internal"},
        {"is_success": True, "error_code": "RES.9999", "error_msg": "internal"},
    ],
    ids=["string-false", "bool-false", "string-False-coded", "true-but-coded"],
)
def test_a_refusal_inside_a_200_is_never_deleted(res_profile, emulator, hostile, refusal):
    job_ids = seed(emulator, 3)
    hostile.on("DELETE", DELETE, reply(200, refusal))
    hook = hook_for(res_profile, hostile.url)

    report = hook.delete_jobs(job_ids, **RES_PARAMS)

    assert report.deleted == [] and report.already_gone == []
    assert sorted(report.failed) == sorted(job_ids)
    assert emulator.live_ids("res") >= set(job_ids)


@pytest.mark.parametrize(
    "answer",
    [reply(200, {}), reply(200, {"is_success": "maybe"}), reply(200, {"is_success": None}), reply(200, [])],
    ids=["no-is_success", "is_success-maybe", "is_success-null", "a-list"],
)
def test_a_delete_answer_of_the_wrong_shape_stops_the_run(res_profile, emulator, hostile, answer):
    job_ids = seed(emulator, 20)
    hostile.on("DELETE", DELETE, answer)
    hook = hook_for(res_profile, hostile.url)

    with pytest.raises(UnexpectedAnswerError, match="delete job") as caught:
        hook.delete_jobs(job_ids, **RES_PARAMS)

    report = caught.value.report
    assert report.deleted == [] and report.already_gone == []
    assert_report_adds_up(report, job_ids)
    assert len(deleted_ids(hostile)) <= ResHook.concurrency, "calls were sent after the run stopped"


# ----------------------------------------------------------------- the detail call: the only evidence of gone
@pytest.mark.parametrize(
    "answer",
    [
        reply(200, {"is_success": "false"}),
        reply(200, {"is_success": False, "error_code": "RES.9999", "error_msg": "try later"}),
        reply(404, "<html>nginx</html>", "text/html"),
        reply(200, {"is_success": True}),
        reply(200, {"is_success": True, "job": {"job_id": "someone-else", "type": "etl"}}),
        reply(200, {"is_success": True, "job": {"job_status": "FAILED", "type": "etl"}}),
    ],
    ids=["string-false-no-code", "other-code", "bare-404", "no-job", "another-job", "job-without-id"],
)
def test_only_the_detail_s_not_found_code_makes_an_unlisted_job_gone(res_profile, emulator, hostile, answer):
    listed = seed(emulator, 2)
    unlisted = "unlisted-job-1"
    hostile.on("GET", DETAIL, answer)
    hook = hook_for(res_profile, hostile.url)

    with pytest.raises(ApiError) as caught:
        hook.get_job_states([*listed, unlisted], **RES_PARAMS)
    assert not isinstance(caught.value, UnexpectedAnswerError) or "job detail" in str(caught.value)

    with pytest.raises(ApiError) as caught:
        hook.delete_jobs([*listed, unlisted], **RES_PARAMS)
    report = caught.value.report
    assert unlisted not in report.already_gone and report.deleted == []
    assert deleted_ids(hostile) == [], "the look failed: nothing may be deleted"


def test_a_bare_404_on_the_detail_is_an_endpoint_error(res_profile, emulator, hostile):
    hostile.on("GET", DETAIL, reply(404, "<html>nginx</html>", "text/html"))
    hook = hook_for(res_profile, hostile.url)
    with pytest.raises(EndpointNotFoundError):
        hook.get_job_states(["unlisted-job-1"], **RES_PARAMS)


def test_a_job_never_created_is_already_gone_even_if_the_delete_would_accept_it(res_profile, emulator, hostile):
    """A server whose delete says success for anything: the id that never existed is not sent at all."""
    job_ids = seed(emulator, 2)
    hostile.on("DELETE", DELETE, reply(200, {"is_success": True, "message": "ok"}))
    hook = hook_for(res_profile, hostile.url)

    report = hook.delete_jobs([*job_ids, "never-existed-1"], **RES_PARAMS)

    assert report.already_gone == ["never-existed-1"]
    assert sorted(report.deleted) == sorted(job_ids)
    assert "never-existed-1" not in deleted_ids(hostile)


# ----------------------------------------------------------------- jobs of another type
def test_a_job_of_another_type_is_failed_never_gone_and_never_sent(res_profile, emulator, hostile):
    ours = seed(emulator, 2)
    ranking = seed(emulator, 1, job_type="ranking")
    hook = hook_for(res_profile, hostile.url)

    states = hook.get_job_states([*ours, *ranking], **RES_PARAMS)
    assert not states[ranking[0]].gone  # it exists: a sensor must not say gone

    report = hook.delete_jobs([*ours, *ranking], **RES_PARAMS)
    assert sorted(report.deleted) == sorted(ours)
    assert list(report.failed) == ranking and "'ranking'" in report.failed[ranking[0]]
    assert report.already_gone == []
    assert sorted(deleted_ids(hostile)) == sorted(ours)
    assert emulator.live_ids("res") == set(ranking)


def test_a_delete_refused_for_a_job_that_became_another_type_is_failed(res_profile, emulator, hostile):
    """The listing showed the job as etl; the delete is refused and the detail shows it as ranking."""
    ranking = seed(emulator, 1, job_type="ranking")

    def as_etl(body):
        body["jobs"] = [{**job, "type": "etl"} for job in body["jobs"]]
        return body

    hostile.on("GET", LIST, rewrite(as_etl))
    hook = hook_for(res_profile, hostile.url)
    report = hook.delete_jobs(ranking, type="etl", offline_platform=RES_PARAMS["offline_platform"])

    assert report.deleted == [] and report.already_gone == []
    assert list(report.failed) == ranking and "'ranking'" in report.failed[ranking[0]]
    assert emulator.live_ids("res") == set(ranking)


# ----------------------------------------------------------------- listings
@pytest.mark.parametrize(
    "change",
    [
        lambda body: {k: v for k, v in body.items() if k != "total_items"},
        lambda body: {**{k: v for k, v in body.items() if k != "total_items"}, "total": body["total_items"]},
        lambda body: {**body, "total_items": "many"},
        lambda body: {**body, "is_success": "false"},
        lambda body: {k: v for k, v in body.items() if k != "jobs"},
    ],
    ids=["missing-total", "renamed-total", "total-not-a-number", "is_success-false", "missing-jobs"],
)
def test_a_listing_without_its_total_or_rows_is_an_error(res_profile, emulator, hostile, change):
    job_ids = seed(emulator, 3)
    hostile.on("GET", LIST, rewrite(change))
    hook = hook_for(res_profile, hostile.url)

    with pytest.raises(ApiError) as caught:
        hook.delete_jobs(job_ids, **RES_PARAMS)
    assert caught.value.report.deleted == [] and caught.value.report.already_gone == []
    assert deleted_ids(hostile) == []
    with pytest.raises(ApiError):
        hook.list_jobs(JobFilter(), **RES_PARAMS)


def test_foreign_rows_are_neither_evidence_nor_selected(res_profile, emulator, hostile):
    """A server ignoring the type filter: rows of other types come back with the asked ones."""
    ours = seed(emulator, 2, name="etl")
    ranking = seed(emulator, 2, job_type="ranking", name="etl")
    gone = "gone-job-1"

    def add_foreign(body):
        foreign = [{"job_id": gone, "job_name": "etl-x", "job_status": "FAILED", "type": "ranking"}]
        return {**body, "jobs": [*body["jobs"], *foreign]}

    hostile.on("GET", LIST, rewrite(add_foreign))
    hook = hook_for(res_profile, hostile.url)

    found = hook.list_jobs(JobFilter(name_pattern="etl*"), **RES_PARAMS)
    assert sorted(j.job_id for j in found) == sorted(ours)  # the emulator itself honours the filter

    # the same server also listing every other type: those rows are dropped
    hostile.clear()
    other_rows = [{"job_id": j, "job_name": "etl-y", "job_status": "FAILED", "type": "ranking"} for j in ranking]
    hostile.on("GET", LIST, rewrite(lambda body: {**body, "jobs": [*body["jobs"], *other_rows]}))
    found = hook.list_jobs(JobFilter(name_pattern="etl*"), **RES_PARAMS)
    assert sorted(j.job_id for j in found) == sorted(ours)

    states = hook.get_job_states([gone], **RES_PARAMS)
    assert states[gone].gone  # the foreign row did not make it present; the detail's RES.1001 made it gone


def test_pages_that_shift_never_make_a_live_job_gone(res_profile, emulator, hostile):
    """Others delete jobs between two page fetches: page 2 arrives shifted, a live job is on neither page."""
    job_ids = seed(emulator, 150)
    calls = itertools.count()

    def shifted(body):
        if next(calls) >= 1:  # page 2 onwards: 10 rows slid onto page 1 already fetched
            body = {**body, "jobs": body["jobs"][10:]}
        return body

    hostile.on("GET", LIST, rewrite(shifted))
    hook = hook_for(res_profile, hostile.url)

    states = hook.get_job_states(job_ids, **RES_PARAMS)

    assert not any(state.gone for state in states.values())
    assert len(hostile.requests("GET", DETAIL)) == 10  # the ten unlisted jobs, confirmed one by one


def test_conflicting_duplicate_rows_decide_nothing(res_profile, emulator, hostile):
    job_ids = seed(emulator, 2)

    def duplicate(body):
        rows = body["jobs"]
        return {**body, "jobs": [*rows, {**rows[0], "job_status": "RUNNING"}]}

    hostile.on("GET", LIST, rewrite(duplicate))
    hook = hook_for(res_profile, hostile.url)

    states = hook.get_job_states(job_ids, **RES_PARAMS)
    assert not any(state.gone for state in states.values())
    assert len(hostile.requests("GET", DETAIL)) == 1  # the conflicting one is asked for
    with pytest.raises(UnexpectedAnswerError, match="twice"):
        hook.list_jobs(JobFilter(states=("FAILED",)), **RES_PARAMS)


def test_endless_pages_stop_at_the_page_cap(res_profile, emulator, hostile):
    def fresh_page(seen: Seen, forward) -> Reply:
        rows = [{"job_id": uuid.uuid4().hex, "job_status": "FAILED", "type": "etl"} for _ in range(100)]
        body = {"is_success": True, "jobs": rows, "total_items": 10**9}
        return Reply(200, {"Content-Type": "application/json"}, json.dumps(body).encode())

    hostile.on("GET", LIST, fresh_page)
    hook = hook_for(res_profile, hostile.url, max_list_pages=5)

    started = time.monotonic()
    with pytest.raises(UnexpectedAnswerError, match="5 pages"):
        hook.list_jobs(JobFilter(), **RES_PARAMS)
    assert len(hostile.requests("GET", LIST)) == 5
    assert time.monotonic() - started < 20


def test_an_unknown_state_is_refused_before_any_request(res_profile, emulator, hostile):
    hook = hook_for(res_profile, hostile.url)
    with pytest.raises(InvalidInputError, match="STOPPED"):
        hook.list_jobs(JobFilter(states=("job_running",)), **RES_PARAMS)
    assert hostile.seen == []


# ----------------------------------------------------------------- outages and clock skew
def test_a_permanent_outage_of_the_deletes_costs_at_most_one_round_of_retries(res_profile, emulator, hostile):
    job_ids = seed(emulator, 40)
    hostile.on("DELETE", DELETE, reply(503, {"error_code": "APIGW.0203", "error_msg": "service unavailable"}))
    hook = hook_for(res_profile, hostile.url, max_attempts=3)

    started = time.monotonic()
    with pytest.raises(ApiError) as caught:
        hook.delete_jobs(job_ids, **RES_PARAMS)

    assert caught.value.retryable
    sent = len(hostile.requests("DELETE", DELETE))
    assert sent <= ResHook.concurrency * 3, f"{sent} delete requests for an outage"
    report = caught.value.report
    assert report.deleted == [] and report.already_gone == []
    assert_report_adds_up(report, job_ids)
    assert time.monotonic() - started < 30


def test_an_outage_after_some_deletes_keeps_every_confirmed_delete(res_profile, emulator, hostile):
    job_ids = seed(emulator, 40)
    forwarded = itertools.count()
    lock = threading.Lock()

    def then_outage(seen: Seen, forward) -> Reply:
        with lock:
            index = next(forwarded)
        if index < 12:
            return forward()
        return Reply(503, {"Content-Type": "application/json"}, b'{"error_code": "APIGW.0203"}')

    hostile.on("DELETE", DELETE, then_outage)
    hook = hook_for(res_profile, hostile.url, max_attempts=2)

    with pytest.raises(ApiError) as caught:
        hook.delete_jobs(job_ids, **RES_PARAMS)

    report = caught.value.report
    really_deleted = set(job_ids) - emulator.live_ids("res")
    assert len(really_deleted) == 12
    assert set(report.deleted) == really_deleted  # every confirmed delete is reported, nothing more
    assert report.already_gone == []
    assert_report_adds_up(report, job_ids)
    assert all("the run stopped" in reason or "APIGW.0203" in reason for reason in report.failed.values())
    assert len(hostile.requests("DELETE", DELETE)) <= 12 + ResHook.concurrency * 2


def test_clock_skew_stops_at_once_and_names_the_clock(res_profile, emulator, hostile):
    job_ids = seed(emulator, 30)
    skew = {"error_code": "APIG.0201", "error_msg": "Request expired: X-Sdk-Date is too far from server time"}
    hostile.on("DELETE", DELETE, reply(400, skew))
    hook = hook_for(res_profile, hostile.url)

    with pytest.raises(ClockSkewError, match="clock") as caught:
        hook.delete_jobs(job_ids, **RES_PARAMS)

    # not retried, nothing queued is sent (a token is re-fetched once after a refusal, hence two per call in flight)
    per_call = 2 if res_profile.name.endswith("password") else 1
    assert len(hostile.requests("DELETE", DELETE)) <= ResHook.concurrency * per_call
    assert caught.value.report.deleted == []
    assert_report_adds_up(caught.value.report, job_ids)
    assert_no_secret_in(str(caught.value) + repr(caught.value.report.to_dict()), res_profile, hostile.url)


# ----------------------------------------------------------------- only the requested jobs
def test_no_request_names_an_unrequested_job(res_profile, emulator, hostile):
    targets = seed(emulator, 5)
    bystanders = seed(emulator, 5)
    others = seed(emulator, 2, job_type="ranking")
    hook = hook_for(res_profile, hostile.url)

    report = hook.delete_jobs([*targets, "missing-1"], **RES_PARAMS)

    assert sorted(report.deleted) == sorted(targets) and report.already_gone == ["missing-1"]
    named = deleted_ids(hostile) + [seen.path.rsplit("/", 1)[-1] for seen in hostile.requests("GET", DETAIL)]
    assert set(named) <= {*targets, "missing-1"}
    assert emulator.live_ids("res") == {*bystanders, *others}
