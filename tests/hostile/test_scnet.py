"""SCNet against a server that misbehaves: job managers that disagree, foreign rows, listings without an end or
a total, delete messages that do not say what was sent, and login answers of the wrong shape. Each test
asserts the promise itself: nothing reported deleted or gone unless it is, no request names an unrequested
job, and every walk ends within its bound."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_jobcleanup.emulator.scnet import MANAGER_IDS
from airflow_provider_jobcleanup.exceptions import ApiError, InvalidInputError, UnexpectedAnswerError
from airflow_provider_jobcleanup.hooks.scnet import ScnetHook
from airflow_provider_jobcleanup.models import JobFilter
from tests.hostile.conftest import PROFILES, hook_for
from tests.hostile.toolkit import Forward, Reply, Seen, rewrite
from tests.profiles.scnet import IDENTITY

M1, M2 = MANAGER_IDS
PROFILE = next(p for p in PROFILES if p.name == "scnet-password")
JOBS = r"^/hpc/openapi/v2/jobs$"
OURS = IDENTITY.compute_user


def scnet_hook(url: str, **extra: Any) -> ScnetHook:
    hook = hook_for(PROFILE, url, **extra)
    assert isinstance(hook, ScnetHook)
    return hook


def row(job_id: str, state: str, user: str, manager: str, name: str = "etl-x") -> dict[str, Any]:
    return {
        "jobId": job_id,
        "jobName": name,
        "jobStatus": state,
        "user": user,
        "jobmanagerId": manager,
        "jobStartTime": "2020-01-01 08:00:00",
    }


def answer_with(answer: Reply, body: Any) -> Reply:
    """``answer`` with a new JSON body (its length recomputed)."""
    headers = {k: v for k, v in answer.headers.items() if k.lower() != "content-length"}
    return Reply(answer.status, headers, json.dumps(body).encode())


def on_manager(manager: str, change) -> Any:
    """Forward a list request; when it asks for ``manager``, replace the answer's ``data`` by ``change``."""

    def action(seen: Seen, forward: Forward) -> Reply:
        answer = forward()
        if seen.query.get("strClusterIDList") != manager:
            return answer
        body = json.loads(bytes(answer.body))  # type: ignore[arg-type]
        body["data"] = change(body["data"], seen)
        return answer_with(answer, body)

    return action


def delete_entries(hostile) -> list[str]:
    return [seen.query.get("strJobInfoMap", "") for seen in hostile.requests("DELETE", JOBS)]


# --------------------------------------------------------------------------- job managers
def test_a_job_named_without_its_manager_is_found_on_the_second_manager(emulator, hostile):
    theirs_elsewhere = emulator.seed("scnet", 1, attrs={"job_manager_id": M2})
    hook = scnet_hook(hostile.url)
    dry = hook.dry_run_report(theirs_elsewhere)
    assert dry.would_delete == theirs_elsewhere and dry.states == {theirs_elsewhere[0]: "statR"}
    report = hook.delete_jobs(theirs_elsewhere)
    assert report.deleted == theirs_elsewhere
    assert delete_entries(hostile) == [f"{M2},{OURS}:{theirs_elsewhere[0]}:"]
    assert emulator.live_ids("scnet") == set()


def test_the_same_id_on_two_managers_fails_naming_both(emulator, hostile):
    job = emulator.seed("scnet", 1)[0]  # on the first manager
    hostile.on("GET", JOBS, on_manager(M2, lambda data, seen: {"total": 1, "list": [row(job, "statR", OURS, M2)]}))
    hook = scnet_hook(hostile.url)
    with pytest.raises(InvalidInputError, match=rf"{job}.*{M1}.*{M2}"):
        hook.get_job_states([job])
    with pytest.raises(InvalidInputError) as caught:
        hook.delete_jobs([job])
    report = caught.value.report  # type: ignore[attr-defined]
    assert report.deleted == [] and report.already_gone == [] and list(report.failed) == [job]
    assert delete_entries(hostile) == []
    assert emulator.live_ids("scnet") == {job}


def test_a_row_of_the_same_id_on_another_manager_does_not_make_our_job_gone(emulator, hostile):
    job = emulator.seed("scnet", 1)[0]
    # the service ignores the manager filter and lists another manager's ended job of the same id instead
    hostile.on("GET", JOBS, on_manager(M1, lambda data, seen: {"total": 1, "list": [row(job, "statC", OURS, M2)]}))
    hook = scnet_hook(hostile.url)
    for params in ({"job_manager_id": M1}, {}):
        status = hook.get_job_states([job], **params)[job]
        assert (status.gone, status.state) == (False, "statR")  # from the detail call on the asked manager
    assert hostile.requests("GET", rf"^/hpc/openapi/v2/jobs/{job}$")


def test_the_user_named_in_a_key_is_the_one_sent(emulator, hostile):
    bobs = emulator.seed("scnet", 1, attrs={"user": "bob"})[0]
    report = scnet_hook(hostile.url).delete_jobs([f"bob:{bobs}"])
    assert delete_entries(hostile) == [f"{M1},bob:{bobs}:"]
    assert report.deleted == [] and "permission denied" in report.failed[f"bob:{bobs}"].lower()


# --------------------------------------------------------------------------- foreign rows in filter listings
def test_filter_selection_never_deletes_a_foreign_row(emulator, hostile):
    mine = emulator.seed("scnet", 1, name="etl")
    bobs_elsewhere = emulator.seed("scnet", 1, name="etl", attrs={"user": "bob", "job_manager_id": M2})[0]
    bobs_here = emulator.seed("scnet", 1, name="etl", attrs={"user": "bob"})[0]

    def ignore_filters(data: dict[str, Any], seen: Seen) -> dict[str, Any]:
        if "strJobOwner" not in seen.query:
            return data
        foreign = [row(bobs_elsewhere, "statR", "bob", M2), row(bobs_here, "statR", "bob", M1)]
        return {"total": data["total"] + 2, "list": data["list"] + foreign}

    hostile.on("GET", JOBS, on_manager(M1, ignore_filters))
    hook = scnet_hook(hostile.url)
    listed = [job.job_id for job in hook.list_jobs(JobFilter(name_pattern="etl-*"), job_manager_id=M1)]
    assert listed == mine
    report = hook.delete_jobs(listed, job_manager_id=M1)
    assert report.deleted == mine
    sent = " ".join(delete_entries(hostile))
    assert bobs_elsewhere not in sent and bobs_here not in sent
    assert emulator.live_ids("scnet") == {bobs_elsewhere, bobs_here}


# --------------------------------------------------------------------------- listings that are not answers
def test_endless_pages_stop_at_the_page_cap(emulator, hostile):
    def endless(data: dict[str, Any], seen: Seen) -> dict[str, Any]:
        start = int(seen.query.get("start", 0))
        rows = [row(str(900000 + start + i), "statR", OURS, M1) for i in range(int(seen.query["limit"]))]
        return {"total": 10**9, "list": rows}

    hostile.on("GET", JOBS, on_manager(M1, endless))
    hook = scnet_hook(hostile.url, max_list_pages=3)
    with pytest.raises(UnexpectedAnswerError, match="3 pages"):
        hook.list_jobs(JobFilter(), job_manager_id=M1)
    assert len(hostile.requests("GET", JOBS)) == 3


def test_a_list_without_its_total_is_not_understood(emulator, hostile):
    jobs = emulator.seed("scnet", 2)
    hostile.on("GET", JOBS, rewrite(lambda body: {**body, "data": {"rows": [], "count": 0}}))
    with pytest.raises(UnexpectedAnswerError, match="total") as caught:
        scnet_hook(hostile.url).delete_jobs(jobs)
    report = caught.value.report  # type: ignore[attr-defined]
    assert report.deleted == [] and report.already_gone == [] and sorted(report.failed) == sorted(jobs)
    assert delete_entries(hostile) == []


def test_absent_from_a_short_listing_is_confirmed_by_the_detail_call(emulator, hostile):
    jobs = emulator.seed("scnet", 3)
    # the total says 3, the page shows 2 (rows shifted away between fetches): absence proves nothing
    hostile.on("GET", JOBS, on_manager(M1, lambda data, seen: {"total": 3, "list": data["list"][:2]}))
    states = scnet_hook(hostile.url).get_job_states(jobs, job_manager_id=M1)
    assert not any(status.gone for status in states.values())


# --------------------------------------------------------------------------- delete answers
@pytest.mark.parametrize(
    "message",
    [
        "jobManagerId : {m}, delete the jobs [{u}:{j}:{u}:424242:] successfully!",  # an entry not sent
        "jobManagerId : {m}, delete the jobs [mallory:{j}:] successfully!",  # another user's entry
    ],
    ids=["unsent-job", "unsent-user"],
)
def test_a_delete_message_naming_what_was_not_sent_is_not_understood(emulator, hostile, message):
    job = emulator.seed("scnet", 1)[0]
    text = message.format(m=M1, u=OURS, j=job)
    hostile.on("DELETE", JOBS, rewrite(lambda body: {**body, "data": {M1: text}}))
    with pytest.raises(UnexpectedAnswerError) as caught:
        scnet_hook(hostile.url).delete_jobs([job])
    assert caught.value.report.deleted == []  # type: ignore[attr-defined]


def test_a_delete_message_for_a_manager_not_asked_is_not_understood(emulator, hostile):
    job = emulator.seed("scnet", 1)[0]
    text = f"jobManagerId : {M2}, delete the jobs [{OURS}:{job}:] successfully!"
    hostile.on("DELETE", JOBS, rewrite(lambda body: {**body, "data": {M2: text}}))
    with pytest.raises(UnexpectedAnswerError, match="not asked") as caught:
        scnet_hook(hostile.url).delete_jobs([job])
    assert caught.value.report.deleted == []  # type: ignore[attr-defined]


def test_a_delete_message_without_its_job_list_is_rechecked_never_deleted(emulator, hostile):
    job = emulator.seed("scnet", 1)[0]
    # the message claims success but the delete never reached the scheduler
    hostile.on(
        "DELETE",
        JOBS,
        lambda seen, forward: Reply(
            200,
            {"Content-Type": "application/json"},
            json.dumps({"code": "0", "data": {M1: f"jobManagerId : {M1}, delete the jobs successfully!"}}).encode(),
        ),
    )
    report = scnet_hook(hostile.url).delete_jobs([job])
    assert report.deleted == [] and report.already_gone == []
    assert "not confirmed" in report.failed[job] and "statR" in report.failed[job]


@pytest.mark.parametrize("data", [None, [], {M1: 5}, "done"], ids=["null", "list", "number", "string"])
def test_a_delete_answer_of_the_wrong_shape_is_not_understood(emulator, hostile, data):
    job = emulator.seed("scnet", 1)[0]
    hostile.on("DELETE", JOBS, rewrite(lambda body: {**body, "data": data}))
    with pytest.raises(UnexpectedAnswerError, match="delete") as caught:
        scnet_hook(hostile.url).delete_jobs([job])
    assert caught.value.report.deleted == []  # type: ignore[attr-defined]


def test_an_error_code_inside_a_200_delete_is_a_failure(emulator, hostile):
    job = emulator.seed("scnet", 1)[0]
    hostile.on("DELETE", JOBS, rewrite(lambda body: {"code": "10004", "msg": "参数无效", "data": None}))
    report = scnet_hook(hostile.url).delete_jobs([job])
    assert report.deleted == [] and report.already_gone == [] and list(report.failed) == [job]


# --------------------------------------------------------------------------- login answers
@pytest.mark.parametrize(
    "body",
    [{"code": "0", "data": {}}, {"code": "0", "data": [{"token": 5}]}, {"code": "0"}],
    ids=["no-list", "wrong-types", "no-data"],
)
def test_a_login_answer_of_the_wrong_shape_ends_the_run(emulator, hostile, body):
    jobs = emulator.seed("scnet", 1)
    hostile.on("POST", r"^/ac/openapi/v2/tokens$", rewrite(lambda _: body))
    with pytest.raises(ApiError) as caught:
        scnet_hook(hostile.url).delete_jobs(jobs)
    assert isinstance(caught.value, UnexpectedAnswerError)
    assert caught.value.report.deleted == []  # type: ignore[attr-defined]
    assert [seen.path for seen in hostile.requests()] == ["/ac/openapi/v2/tokens"]
