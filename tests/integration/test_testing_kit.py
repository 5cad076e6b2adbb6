"""The testing kit users get (``jobcleanup_emulator`` fixture, ``airflow_provider_jobcleanup.testing``): the
emulator process, seeding with places, reading state, faults, and connections of every type and auth mode
that really delete through the hooks."""

from __future__ import annotations

import os

import pytest
import requests

from airflow_provider_jobcleanup.emulator.alibaba_ehpc import DEFAULT_REGION
from airflow_provider_jobcleanup.emulator.huawei_mrs import DEFAULT_CLUSTER_ID
from airflow_provider_jobcleanup.emulator.scnet import MANAGER_IDS
from airflow_provider_jobcleanup.exceptions import ApiError, ThrottledError
from airflow_provider_jobcleanup.models import JobFilter
from airflow_provider_jobcleanup.services import get_cleanup_hook
from airflow_provider_jobcleanup.testing import AUTH_MODES, EmulatorProcess, env_name
from airflow_provider_jobcleanup.testing.kit import JobCleanupEmulator

#: one service per connection type, seeded in a state each can delete
SERVICE_OF = {"huaweicloud": ("mrs", "FAILED"), "alibaba_ehpc": ("ehpc", "Failed"), "scnet": ("scnet", "statR")}
EMPTY = "0e1d2c3b-4a59-6877-8695-a4b3c2d1e0f9"  # MRS cluster ids are UUIDs
SEEDED = "1f2e3d4c-5b6a-7988-a7b6-c5d4e3f2a1b0"
CASES = [(conn_type, auth) for conn_type, modes in AUTH_MODES.items() for auth in modes]


@pytest.mark.parametrize(("conn_type", "auth"), CASES, ids=[f"{t}-{a}" for t, a in CASES])
def test_connections_of_every_type_and_auth_mode_delete_through_the_hooks(jobcleanup_emulator, conn_type, auth):
    service, state = SERVICE_OF[conn_type]
    ids = jobcleanup_emulator.seed(service, 3, state=state)
    kept = jobcleanup_emulator.seed(service, 1, state=state)
    connection = jobcleanup_emulator.connection(conn_type, auth)
    assert connection.conn_id == f"{conn_type}_default"
    params = {"cluster_id": DEFAULT_CLUSTER_ID} if service == "mrs" else {}
    report = get_cleanup_hook(connection.conn_id, service, connection=connection).delete_jobs(ids, **params)
    assert sorted(report.deleted) == sorted(ids)
    assert jobcleanup_emulator.live_ids(service) == set(kept)
    assert all(jobcleanup_emulator.is_deleted(service, job_id) for job_id in ids)


def test_use_connection_sets_airflow_conn_variables_airflow_resolves(jobcleanup_emulator):
    from airflow.sdk import BaseHook

    jobcleanup_emulator.use_connections()
    jobcleanup_emulator.use_connection("mrs_aksk", "huaweicloud", "aksk")
    for conn_id, conn_type in [
        ("huaweicloud_default", "huaweicloud"),
        ("alibaba_ehpc_default", "alibaba_ehpc"),
        ("scnet_default", "scnet"),
        ("mrs_aksk", "huaweicloud"),
    ]:
        connection = BaseHook.get_connection(conn_id)
        assert connection.conn_type == conn_type
        assert jobcleanup_emulator.url in str(connection.extra_dejson)
    assert BaseHook.get_connection("mrs_aksk").extra_dejson["auth_type"] == "aksk"
    ids = jobcleanup_emulator.seed("dli", 2)
    report = get_cleanup_hook("huaweicloud_default", "dli").delete_jobs(ids)
    assert sorted(report.deleted) == sorted(ids)


def test_uri_and_json_forms_describe_the_same_connection(jobcleanup_emulator):
    from airflow.sdk import Connection

    for conn_type in AUTH_MODES:
        spec = jobcleanup_emulator.connection_spec(conn_type)
        parsed = Connection.from_uri(jobcleanup_emulator.connection_uri(conn_type), conn_id="x")
        assert (parsed.conn_type, parsed.login, parsed.password) == (conn_type, spec["login"], spec.get("password"))
        assert parsed.extra_dejson == spec["extra"]
        (name, value), *_ = jobcleanup_emulator.connection_env("x", conn_type).items()
        assert name == "AIRFLOW_CONN_X" and Connection.from_json(value, conn_id="x").extra_dejson == spec["extra"]


def test_airflow_connections_context_restores_the_environment(jobcleanup_emulator, monkeypatch):
    name = env_name("scnet_default")
    monkeypatch.setenv(name, "before")
    monkeypatch.delenv(env_name("huaweicloud_default"), raising=False)
    with jobcleanup_emulator.airflow_connections() as env:
        assert os.environ[name] == env[name] != "before"
        assert env_name("huaweicloud_default") in os.environ
    assert os.environ[name] == "before"
    assert env_name("huaweicloud_default") not in os.environ
    with pytest.raises(RuntimeError, match="needs the pytest fixture"):
        JobCleanupEmulator(jobcleanup_emulator.url).use_connections()


def test_seed_fields_and_state(jobcleanup_emulator):
    ids = jobcleanup_emulator.seed(
        "scnet", 2, state="statQ", name="etl", age_seconds=3600, job_manager_id=MANAGER_IDS[1]
    )
    jobs = {j["job_id"]: j for j in jobcleanup_emulator.jobs("scnet")}
    assert [jobs[i]["name"] for i in ids] == ["etl-0", "etl-1"]
    assert {jobs[i]["attrs"]["job_manager_id"] for i in ids} == {MANAGER_IDS[1]}
    assert jobcleanup_emulator.state("scnet", ids[0]) == "statQ"
    assert jobcleanup_emulator.state("scnet", "no-such-job") is None
    assert not jobcleanup_emulator.is_deleted("scnet", ids[0])
    with pytest.raises(ValueError, match="does not apply"):
        jobcleanup_emulator.seed("dli", 1, cluster_id="c-1")
    with pytest.raises(requests.HTTPError, match="unknown service"):
        jobcleanup_emulator.seed("nope", 1)


def test_mrs_cluster_outlives_its_jobs_and_reset_keeps_only_the_default(jobcleanup_emulator):
    hook = get_cleanup_hook("x", "mrs", connection=jobcleanup_emulator.connection("huaweicloud"))
    assert jobcleanup_emulator.add_clusters("mrs", [EMPTY]) == [DEFAULT_CLUSTER_ID, EMPTY]
    assert hook.list_jobs(JobFilter(), cluster_id=EMPTY) == []  # exists with no job ever seeded
    ids = jobcleanup_emulator.seed("mrs", 2, state="FAILED", cluster_id=SEEDED)
    assert SEEDED in jobcleanup_emulator.clusters()["mrs"]
    assert sorted(hook.delete_jobs(ids, cluster_id=SEEDED).deleted) == sorted(ids)
    assert hook.list_jobs(JobFilter(), cluster_id=SEEDED) == []  # its last job is gone, the cluster is not
    jobcleanup_emulator.reset()
    assert jobcleanup_emulator.clusters()["mrs"] == [DEFAULT_CLUSTER_ID]
    with pytest.raises(ApiError, match=r"12000003|does not exist"):
        hook.list_jobs(JobFilter(), cluster_id=SEEDED)


def test_ehpc_regions_are_separate(jobcleanup_emulator):
    jobcleanup_emulator.add_clusters("ehpc", ["cn-shanghai"])
    shanghai = jobcleanup_emulator.seed("ehpc", 2, state="Failed", region="cn-shanghai")
    hangzhou = jobcleanup_emulator.seed("ehpc", 1, state="Failed")
    shanghai_conn = jobcleanup_emulator.connection("alibaba_ehpc", region="cn-shanghai")
    in_shanghai = get_cleanup_hook("x", "ehpc", connection=shanghai_conn)
    in_hangzhou = get_cleanup_hook("x", "ehpc", connection=jobcleanup_emulator.connection("alibaba_ehpc"))
    assert {j.job_id for j in in_shanghai.list_jobs(JobFilter())} == set(shanghai)
    assert {j.job_id for j in in_hangzhou.list_jobs(JobFilter())} == set(hangzhou)
    # a Shanghai job is not found from Hangzhou, and deleting it there leaves it alone
    report = in_hangzhou.delete_jobs(shanghai)
    assert sorted(report.already_gone) == sorted(shanghai) and report.deleted == []
    assert jobcleanup_emulator.live_ids("ehpc") == set(shanghai + hangzhou)
    assert sorted(in_shanghai.delete_jobs(shanghai).deleted) == sorted(shanghai)
    assert jobcleanup_emulator.clusters()["ehpc"] == [DEFAULT_REGION, "cn-shanghai"]
    unknown = get_cleanup_hook("x", "ehpc", connection=jobcleanup_emulator.connection("alibaba_ehpc", region="eu-x"))
    with pytest.raises(ApiError, match=r"InvalidRegionId|region"):
        unknown.list_jobs(JobFilter())


def test_faults_and_stats(jobcleanup_emulator):
    ids = jobcleanup_emulator.seed("dli", 5)
    jobcleanup_emulator.faults(rate=1.0, kinds={"throttle": 1}, services=["dli"], retry_after=0.01, seed=1)
    hook = get_cleanup_hook("x", "dli", connection=jobcleanup_emulator.connection("huaweicloud", max_attempts=2))
    with pytest.raises(ThrottledError) as caught:  # throttled on every attempt: the run stops
        hook.delete_jobs(ids)
    assert sorted(caught.value.report.failed) == sorted(ids)
    assert jobcleanup_emulator.live_ids("dli") == set(ids)
    jobcleanup_emulator.faults()  # off again
    assert sorted(hook.delete_jobs(ids).deleted) == sorted(ids)
    stats = jobcleanup_emulator.stats()
    # the throttled run stopped at its look (two listing attempts): only the second run sent a delete
    assert stats["dli.list"] >= 3 and stats["dli.batch_delete"] == 1 and stats["service:dli"] >= 4


def test_emulator_process_runs_in_its_own_process_group_and_stops_with_it():
    process = EmulatorProcess().start()
    try:
        assert process.url == f"http://127.0.0.1:{process.port}"
        assert requests.get(f"{process.url}/_emulator/health", timeout=5).ok
        assert process.proc is not None
        pid = process.proc.pid
        assert os.getpgid(pid) == pid != os.getpgid(0)
    finally:
        process.stop()
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)  # signal 0: does the group still exist?
