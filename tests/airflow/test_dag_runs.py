"""Operator and sensor inside real Airflow (``dag.test()``), for every service profile and sensor mode."""

from __future__ import annotations

import threading
import time

import pytest

from tests.profiles import all_profiles

PROFILES = all_profiles()
MODES = ("poke", "reschedule", "deferrable")


def _run(dagbag, dag_id, monkeypatch, profile, emulator, conf):
    name, value = profile.env_var(emulator.url)
    monkeypatch.setenv(name, value)
    dag = dagbag.get_dag(dag_id)
    assert dag is not None, dagbag.import_errors
    return dag.test(run_conf={"conn_id": profile.conn_id, **conf})


def _task_states(dag_run):
    return {ti.task_id: ti.state for ti in dag_run.get_task_instances()}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("profile", PROFILES, ids=lambda p: p.name)
def test_delete_then_confirm_gone(dagbag, emulator, monkeypatch, profile, mode):
    targets, params = profile.seed(emulator, 3)
    bystanders, _ = profile.seed(emulator, 2)
    dag_run = _run(
        dagbag,
        f"test_cleanup_{profile.service}_{mode}",
        monkeypatch,
        profile,
        emulator,
        {"job_ids": targets, "service_params": params},
    )
    assert dag_run.state == "success", _task_states(dag_run)
    live = emulator.live_ids(profile.service)
    assert not live & set(targets)
    assert set(bystanders) <= live


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("profile", [p for p in PROFILES if p.service == "mrs"][:1], ids=lambda p: p.name)
def test_sensor_waits_until_jobs_disappear(dagbag, emulator, monkeypatch, profile, mode):
    """The jobs exist when the sensor starts; they are deleted 3 s later by someone else."""
    from airflow.sdk import Connection  # noqa: F401  (the hook below builds one from the profile)

    from airflow_provider_jobcleanup.services import get_cleanup_hook
    from tests.integration.huawei_helpers import connection_from

    targets, params = profile.seed(emulator, 2)
    hook = get_cleanup_hook("x", profile.service, connection=connection_from(profile.connection(emulator.url)))
    deleter = threading.Timer(3.0, lambda: hook.delete_jobs(targets, **params))
    deleter.start()
    started = time.monotonic()
    try:
        dag_run = _run(
            dagbag,
            f"test_wait_{profile.service}_{mode}",
            monkeypatch,
            profile,
            emulator,
            {"job_ids": targets, "service_params": params},
        )
    finally:
        deleter.join()
    assert dag_run.state == "success", _task_states(dag_run)
    assert time.monotonic() - started >= 3.0
    assert emulator.stats()[f"{profile.service}.list"] >= 2  # polled more than once


def test_failed_job_fails_the_task_after_attempting_the_rest(dagbag, emulator, monkeypatch):
    profile = next(p for p in PROFILES if p.service == "mrs")
    done, params = profile.seed(emulator, 3)
    running = emulator.seed("mrs", 1, state="RUNNING")
    dag_run = _run(
        dagbag,
        "test_cleanup_mrs_poke",
        monkeypatch,
        profile,
        emulator,
        {"job_ids": [*done, *running], "service_params": params},
    )
    states = _task_states(dag_run)
    assert dag_run.state == "failed"
    assert states["delete"] == "failed"
    assert emulator.live_ids("mrs") == set(running)


def test_invalid_job_ids_fail_before_any_request(dagbag, emulator, monkeypatch):
    profile = next(p for p in PROFILES if p.service == "mrs")
    _, params = profile.seed(emulator, 1)
    dag_run = _run(
        dagbag,
        "test_cleanup_mrs_poke",
        monkeypatch,
        profile,
        emulator,
        {"job_ids": ["not-a-uuid"], "service_params": params},
    )
    assert dag_run.state == "failed"
    assert emulator.stats().get("total", 0) == 0


def _after_polls(emulator, route: str, count: int, timeout: float = 90.0) -> None:
    """Block until the emulator has answered ``count`` requests on ``route`` in total."""
    deadline = time.monotonic() + timeout
    while emulator.stats().get(route, 0) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{route} was not polled {count} times: {emulator.stats()}")
        time.sleep(0.1)


@pytest.mark.parametrize("mode", ["poke", "deferrable"])
def test_token_expiring_during_a_long_wait_is_renewed(dagbag, emulator, monkeypatch, mode):
    """SCNet: every token is revoked after the sensor's first poll; the sensor must log in again on its
    next poll, and still see the jobs disappear (deleted afterwards by someone else)."""
    from airflow_provider_jobcleanup.services import get_cleanup_hook
    from tests.integration.huawei_helpers import connection_from

    profile = next(p for p in PROFILES if p.name == "scnet-password")
    targets, params = profile.seed(emulator, 2)
    hook = get_cleanup_hook("x", profile.service, connection=connection_from(profile.connection(emulator.url)))
    relogged: list[bool] = []

    def logins() -> int:
        stats = emulator.stats()
        return stats.get("scnet.tokens", 0) + stats.get("scnet.tokens_next", 0)

    def revoke_then_delete():
        _after_polls(emulator, "scnet.jobs", 1)  # the sensor is polling
        emulator.expire_tokens()
        deadline = time.monotonic() + 60
        while logins() < 2 and time.monotonic() < deadline:  # its next poll must log in again
            time.sleep(0.1)
        relogged.append(logins() >= 2)
        hook.delete_jobs(targets, **params)

    background = threading.Thread(target=revoke_then_delete)
    background.start()
    try:
        dag_run = _run(
            dagbag,
            f"test_wait_scnet_{mode}",
            monkeypatch,
            profile,
            emulator,
            {"job_ids": targets, "service_params": params},
        )
    finally:
        background.join()
    assert dag_run.state == "success", _task_states(dag_run)
    assert relogged == [True], emulator.stats()  # logged in again while the jobs still existed
    assert emulator.live_ids("scnet") == set()


@pytest.mark.parametrize("mode", MODES)
def test_executor_level_deletion_of_a_250_executor_array_job(dagbag, emulator, monkeypatch, mode):
    """E-HPC: the operator deletes all 250 executors of an array job (3 calls of at most 100), the job itself
    stays, and the sensor confirms the executors are gone."""
    profile = next(p for p in PROFILES if p.service == "ehpc")
    [job] = emulator.seed("ehpc", 1, state="Running", attrs={"tasks": {"task0": 250}})
    executors = [f"{job}-task0-{i}" for i in range(250)]
    dag_run = _run(
        dagbag,
        f"test_cleanup_ehpc_{mode}",
        monkeypatch,
        profile,
        emulator,
        {"job_ids": [job], "service_params": {"executor_ids": executors}},
    )
    assert dag_run.state == "success", _task_states(dag_run)
    assert emulator.stats()["ehpc.DeleteJobs"] == 3
    assert emulator.live_ids("ehpc") == {job}  # executors deleted, not the job
    [record] = [j for j in emulator.jobs("ehpc") if j["job_id"] == job]
    assert record["state"] != "Deleted"
    executor_states = record["attrs"]["tasks"]["task0"]
    assert len(executor_states) == 250 and set(executor_states.values()) == {"Deleted"}
