"""DLI against a misbehaving server: nothing is reported deleted or gone unless the service says so."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_jobcleanup.exceptions import (
    ApiError,
    ClockSkewError,
    EndpointNotFoundError,
    UnexpectedAnswerError,
)
from tests.hostile.conftest import hook_for
from tests.hostile.toolkit import reply, rewrite
from tests.profiles import all_profiles

PROFILES = {p.name: p for p in all_profiles() if p.service == "dli"}
LIST = r"/streaming/jobs$"
DETAIL = r"/streaming/jobs/[0-9]+$"
DELETE = r"/streaming/jobs/delete$"


@pytest.fixture(params=sorted(PROFILES))
def dli(request):
    return PROFILES[request.param]


def test_one_result_for_a_two_job_batch_is_an_error_not_both_deleted(dli, emulator, hostile):
    job_ids, params = dli.seed(emulator, 2)
    hostile.on("POST", DELETE, rewrite(lambda results: results[:1]))
    hook = hook_for(dli, hostile.url)

    with pytest.raises(UnexpectedAnswerError, match="1 results for a batch of 2") as caught:
        hook.delete_jobs(job_ids, **params)
    report = caught.value.report
    assert report.deleted == [] and report.already_gone == []
    assert sorted(report.failed) == sorted(job_ids)
    assert len(hostile.requests("POST", DELETE)) == 1, "an answer not understood is not bisected"


def test_a_later_batch_not_understood_keeps_the_report_of_the_earlier_ones(dli, emulator, hostile):
    job_ids, params = dli.seed(emulator, 102)
    batches = {"count": 0}

    def second_is_odd(results: Any) -> Any:
        batches["count"] += 1
        return results if batches["count"] == 1 else {"results": "deleted"}

    hostile.on("POST", DELETE, rewrite(second_is_odd))
    hook = hook_for(dli, hostile.url)

    with pytest.raises(UnexpectedAnswerError) as caught:
        hook.delete_jobs(job_ids, **params)
    report = caught.value.report
    assert len(report.deleted) == 100 and set(report.deleted) <= set(job_ids)
    assert sorted(report.failed) == sorted(set(job_ids) - set(report.deleted))
    assert emulator.live_ids("dli").isdisjoint(report.deleted)


def test_a_re_check_of_unexpected_shape_raises_with_the_report_kept(dli, emulator, hostile):
    """One job is refused (``is_success`` false); its re-check answers an unexpected shape: the error names
    the answer, and the jobs already deleted stay in the report."""
    job_ids, params = dli.seed(emulator, 3)

    def refuse_last(results: Any) -> Any:
        results[-1] = {"is_success": "false", "message": "job is busy"}
        return results

    hostile.on("POST", DELETE, rewrite(refuse_last))
    hostile.on("GET", DETAIL, reply(200, {"is_success": True, "job_detail": ["not", "a", "job"]}))
    hook = hook_for(dli, hostile.url)

    with pytest.raises(UnexpectedAnswerError, match="job_detail") as caught:
        hook.delete_jobs(job_ids, **params)
    report = caught.value.report
    assert report.deleted == job_ids[:2]
    assert list(report.failed) == job_ids[2:]


def test_is_success_false_is_never_deleted(dli, emulator, hostile):
    job_ids, params = dli.seed(emulator, 2)
    hostile.on("POST", DELETE, reply(200, [{"is_success": False, "message": "no"}, {"is_success": "false"}]))
    hook = hook_for(dli, hostile.url)

    report = hook.delete_jobs(job_ids, **params)

    # each refused job is looked up: it still exists, so it failed with DLI's message
    assert report.deleted == [] and report.already_gone == []
    assert sorted(report.failed) == sorted(job_ids)
    assert len(hostile.requests("GET", DETAIL)) == 2
    assert emulator.live_ids("dli") >= set(job_ids)


def test_a_top_level_is_success_false_on_a_listing_is_an_error(dli, emulator, hostile):
    job_ids, params = dli.seed(emulator, 2)
    hostile.on("GET", LIST, reply(200, {"is_success": "false", "message": "internal error"}))
    hook = hook_for(dli, hostile.url)

    with pytest.raises(ApiError, match="internal error") as caught:
        hook.delete_jobs(job_ids, **params)
    assert caught.value.report.deleted == [] and caught.value.report.already_gone == []
    with pytest.raises(ApiError):
        hook.get_job_states(job_ids, **params)


@pytest.mark.parametrize("spelling", [lambda i: f"{i}.0", lambda i: float(i), str], ids=["'12.0'", "12.0", "'12'"])
def test_listed_ids_compare_as_integers(dli, emulator, hostile, spelling):
    job_ids, params = dli.seed(emulator, 2)

    def respell(body: dict[str, Any]) -> dict[str, Any]:
        for job in body["job_list"]["jobs"]:
            job["job_id"] = spelling(job["job_id"])
        return body

    hostile.on("GET", LIST, rewrite(respell))
    hook = hook_for(dli, hostile.url)

    states = hook.get_job_states(job_ids, **params)
    assert not any(status.gone for status in states.values()), "a listed job was taken as gone"
    dry = hook.dry_run_report(job_ids, **params)
    assert sorted(dry.would_delete) == sorted(job_ids) and dry.already_gone == []


def test_a_listed_id_that_is_not_an_integer_is_not_an_answer(dli, emulator, hostile):
    job_ids, params = dli.seed(emulator, 2)

    def respell(body: dict[str, Any]) -> dict[str, Any]:
        body["job_list"]["jobs"][0]["job_id"] = "12.5"
        return body

    hostile.on("GET", LIST, rewrite(respell))
    with pytest.raises(UnexpectedAnswerError, match="job_id"):
        hook_for(dli, hostile.url).get_job_states(job_ids, **params)


@pytest.mark.parametrize(
    ("answer", "is_404"),
    [
        (reply(400, {"error_code": "DLI.0001", "error_msg": "Parameter check errors occur"}), False),
        (reply(404, {"error_code": "DLI.0001", "error_msg": "not here"}), True),
        (reply(404, "<html>nginx</html>", "text/html"), True),
    ],
    ids=["other-code-400", "other-code-404", "bare-404"],
)
def test_only_dli_16001_means_not_found(dli, emulator, hostile, answer, is_404):
    """Absent from a listing that is not proven complete, each job is looked up: only ``DLI.16001`` is gone."""
    job_ids, params = dli.seed(emulator, 2)
    hostile.on("GET", LIST, rewrite(lambda body: {**body, "job_list": {**body["job_list"], "jobs": []}}))
    hostile.on("GET", DETAIL, answer)
    hook = hook_for(dli, hostile.url)

    with pytest.raises(ApiError) as caught:
        hook.get_job_states(job_ids, **params)
    assert caught.value.error_code != "DLI.16001"
    assert isinstance(caught.value, EndpointNotFoundError) == is_404  # a 404 without DLI.16001: wrong endpoint


def test_dli_16001_is_gone(dli, emulator, hostile):
    job_ids, params = dli.seed(emulator, 2)
    hostile.on("GET", LIST, rewrite(lambda body: {**body, "job_list": {**body["job_list"], "jobs": []}}))
    hostile.on("GET", DETAIL, reply(400, {"error_code": "DLI.16001", "error_msg": "The job does not exist"}))
    states = hook_for(dli, hostile.url).get_job_states(job_ids, **params)
    assert all(status.gone for status in states.values())


def test_a_clock_skew_answer_stops_at_once_with_the_clock_message(dli, emulator, hostile):
    job_ids, params = dli.seed(emulator, 100)
    skew = {"error_code": "APIG.0201", "error_msg": "Incorrect X-Sdk-Date: the request time is expired"}
    hostile.on("*", r"/v1\.0/", reply(401, skew))
    hook = hook_for(dli, hostile.url)

    with pytest.raises(ClockSkewError, match="clock"):
        hook.delete_jobs(job_ids, **params)
    assert len(hostile.requests("*", r"/v1\.0/")) <= 2
    assert hostile.requests("POST", DELETE) == []
