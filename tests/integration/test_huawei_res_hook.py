"""RES hook against the emulator over real HTTP: one call per job, bounded concurrency, exact reports."""

from __future__ import annotations

import time

import pytest

from airflow_provider_jobcleanup.exceptions import AuthenticationError, InvalidInputError
from airflow_provider_jobcleanup.hooks.huawei_res import DEFAULT_ENDPOINT, ResHook
from airflow_provider_jobcleanup.models import JobFilter
from tests.integration.huawei_helpers import aksk_hook, connection_from, huawei_hook
from tests.profiles.huawei import RES_PARAMS, password_connection


def res(emulator, **extra):
    return huawei_hook("res", emulator.url, **extra)


def seed(emulator, count, **spec):
    spec.setdefault("state", "FAILED")
    spec.setdefault("attrs", {"type": "etl"})
    return emulator.seed("res", count, **spec)


def test_delete_removes_exactly_the_requested_jobs(emulator):
    targets = seed(emulator, 12)
    bystanders = seed(emulator, 3)
    report = res(emulator).delete_jobs(targets, **RES_PARAMS)
    assert report.deleted == targets  # requested order, whatever the completion order
    assert report.already_gone == [] and report.failed == {}
    assert emulator.live_ids("res") == set(bystanders)
    stats = emulator.stats()
    assert stats["res.delete"] == 12 and stats["iam.tokens"] == 1
    assert stats["res.list"] == 1 and "res.detail" not in stats  # the look: one listing, every job on it
    assert report.api_calls == 14
    assert [j["delete_count"] for j in emulator.jobs("res") if j["job_id"] in targets] == [1] * 12


def test_calls_run_concurrently_but_bounded(emulator):
    targets = seed(emulator, 16)
    hook = aksk_hook("res", emulator.url)
    assert ResHook.concurrency == 8
    emulator.faults(rate=1.0, kinds={"slow": 1.0}, slow_seconds=0.3, services=["res"])
    started = time.monotonic()
    report = hook.delete_jobs(targets, **RES_PARAMS)
    elapsed = time.monotonic() - started
    assert len(report.deleted) == 16
    assert 0.55 <= elapsed < 16 * 0.3 / 2  # two waves of 8, far below one-by-one


def test_running_job_is_refused_and_the_others_deleted(emulator):
    done = seed(emulator, 4)
    running = seed(emulator, 1, state="RUNNING")
    report = res(emulator).delete_jobs([*done, *running], **RES_PARAMS)
    assert report.deleted == done
    assert list(report.failed) == running
    assert "RES.1024" in report.failed[running[0]]
    assert emulator.live_ids("res") == set(running)


def test_missing_job_is_already_gone(emulator):
    targets = seed(emulator, 3)
    report = res(emulator).delete_jobs([*targets, "missing-job-1"], **RES_PARAMS)
    assert report.deleted == targets
    assert report.already_gone == ["missing-job-1"]
    assert report.failed == {} and report.unaccounted == []
    assert emulator.stats()["res.detail"] == 1


def test_job_of_another_type_is_a_failure_not_gone(emulator):
    other = seed(emulator, 1, attrs={"type": "ranking"})
    report = res(emulator).delete_jobs(other, **RES_PARAMS)
    assert list(report.failed) == other and "'ranking' job, not 'etl'" in report.failed[other[0]]
    assert report.already_gone == [] and report.deleted == []
    assert emulator.live_ids("res") == set(other)
    stats = emulator.stats()
    assert stats["res.detail"] == 1 and "res.delete" not in stats  # a delete as etl would only fail


def test_dry_run_reads_and_names_a_job_of_another_type(emulator):
    present = seed(emulator, 2)
    other = seed(emulator, 1, attrs={"type": "ranking"})
    report = res(emulator).dry_run_report([*present, *other, "missing-job-1"], **RES_PARAMS)
    assert report.dry_run and report.deleted == []
    assert report.would_delete == present and report.states == {j: "FAILED" for j in present}
    assert report.already_gone == ["missing-job-1"]
    assert list(report.failed) == other and "'ranking'" in report.failed[other[0]]
    assert "res.delete" not in emulator.stats()
    assert emulator.live_ids("res") == {*present, *other}


@pytest.mark.parametrize("kind", ["throttle", "unavailable"])
def test_429_and_503_are_retried(emulator, kind):
    targets = seed(emulator, 6)
    emulator.faults(rate=0.3, kinds={kind: 1.0}, retry_after=0.01, services=["res"], seed=7)
    hook = res(emulator)
    report = hook.delete_jobs(targets, **RES_PARAMS)
    assert report.deleted == targets
    assert hook.transport.retries >= 1
    assert emulator.live_ids("res") == set()


def test_wrong_secret_key_stops_with_a_clear_error(emulator):
    targets = seed(emulator, 20)
    hook = aksk_hook("res", emulator.url)
    hook.connection.password = "not-the-secret-key"
    with pytest.raises(AuthenticationError, match="verify aksk signature fail") as info:
        hook.delete_jobs(targets, **RES_PARAMS)
    assert "not-the-secret-key" not in str(info.value)
    assert emulator.live_ids("res") == set(targets)
    assert "res.delete" not in emulator.stats()  # refused at the look: no delete was sent
    assert info.value.report.deleted == [] and sorted(info.value.report.failed) == sorted(targets)


def test_temporary_aksk_with_security_token(emulator):
    targets = seed(emulator, 3)
    report = aksk_hook("res", emulator.url, temporary=True).delete_jobs(targets, **RES_PARAMS)
    assert report.deleted == targets


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({}, "needs type"),
        ({"type": "training"}, "needs type"),
        ({"type": "etl"}, "needs offline_platform"),
        ({"type": "etl", "offline_platform": "DLI"}, "must be a dict"),
        ({"type": "etl", "offline_platform": {"platform": "DLI"}}, "platform_parameter"),
        ({"type": "etl", "offline_platform": {"platform_parameter": {}}}, "platform name"),
        (
            {**RES_PARAMS, "offline_platform": {**RES_PARAMS["offline_platform"], "bogus": 1}},
            "unknown fields",
        ),
        ({**RES_PARAMS, "cluster_id": "x"}, "does not take"),
    ],
)
def test_invalid_service_params_send_no_request(emulator, params, match):
    with pytest.raises(InvalidInputError, match=match):
        res(emulator).delete_jobs(["job-1"], **params)
    assert emulator.stats().get("total", 0) == 0


@pytest.mark.parametrize("bad", [["has space"], ["a/b"], [123], ["x" * 65], "job-1", None, []])
def test_invalid_ids_send_no_request(emulator, bad):
    with pytest.raises(InvalidInputError):
        res(emulator).delete_jobs(bad, **RES_PARAMS)
    assert emulator.stats().get("total", 0) == 0


def test_types_without_offline_platform(emulator):
    targets = seed(emulator, 2, attrs={"type": "ranking"})
    report = res(emulator).delete_jobs(targets, type="ranking")
    assert report.deleted == targets


def test_get_job_states_pages_for_listed_jobs_and_asks_the_detail_for_the_others(emulator):
    present = seed(emulator, 150)
    missing = [f"missing-{i}" for i in range(20)]
    states = res(emulator).get_job_states([*present, *missing], **RES_PARAMS)
    assert all(not states[j].gone for j in present)
    assert all(states[j].gone for j in missing)
    stats = emulator.stats()
    assert stats["res.list"] == 2  # one listing of the type, walked once
    assert stats["res.detail"] == 20  # absence from one type's list is not gone: only the detail says so


def test_get_job_states_looks_up_few_ids_directly(emulator):
    seed(emulator, 450)
    one = seed(emulator, 1, state="RUNNING", age_seconds=3600)
    gone = "missing-1"
    states = res(emulator).get_job_states([*one, gone], **RES_PARAMS)
    assert not states[one[0]].gone and states[one[0]].state == "RUNNING"
    assert states[gone].gone  # detail answered is_success=false at HTTP 200
    stats = emulator.stats()
    assert stats["res.list"] == 1 and stats["res.detail"] == 2


def test_list_jobs_filters_by_state_age_and_name(emulator):
    old_failed = seed(emulator, 3, name="etl", age_seconds=8 * 86400)
    seed(emulator, 2, name="etl", age_seconds=60)
    seed(emulator, 2, name="etl", state="SUCCEEDED", age_seconds=8 * 86400)
    seed(emulator, 2, name="report", age_seconds=8 * 86400)
    seed(emulator, 2, name="etl", age_seconds=8 * 86400, attrs={"type": "ranking"})
    job_filter = JobFilter.from_value({"states": ["FAILED"], "older_than": "7d", "name_pattern": "etl-*"})
    found = res(emulator).list_jobs(job_filter, **RES_PARAMS)
    assert sorted(j.job_id for j in found) == sorted(old_failed)


def test_endpoint_defaults_to_cn_north_4_and_can_be_overridden(emulator):
    spec = password_connection(emulator.url)
    del spec["extra"]["res_endpoint"]
    spec["extra"]["region"] = "eu-west-101"
    hook = ResHook("test_conn", connection=connection_from(spec))
    assert hook.endpoint == DEFAULT_ENDPOINT
    assert res(emulator).endpoint == emulator.url
    assert emulator.stats().get("total", 0) == 0
