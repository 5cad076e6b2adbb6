"""A run stopped part-way by refused credentials keeps an exact report, and the operator publishes it."""

from __future__ import annotations

import json

import pytest

from airflow_provider_jobcleanup.emulator.huawei_mrs import DEFAULT_CLUSTER_ID
from airflow_provider_jobcleanup.exceptions import AuthenticationError
from airflow_provider_jobcleanup.operators.batch_delete import BatchDeleteJobsOperator
from tests.integration.huawei_helpers import huawei_hook
from tests.profiles.huawei import password_connection


def lock_out_after_first_delete(hook, emulator):
    """After the first batch delete: every token expires and the password no longer works."""
    transport = hook.transport
    original = transport.request
    state = {"deletes": 0}

    def request(method, url, **kwargs):
        response = original(method, url, **kwargs)
        if url.endswith("/batch-delete"):
            state["deletes"] += 1
            if state["deletes"] == 1:
                emulator.expire_tokens()
                hook._token_provider._password = "changed-by-an-admin"
        return response

    transport.request = request


def test_refused_credentials_stop_the_run_with_an_exact_report(emulator):
    targets = emulator.seed("mrs", 250, state="FAILED")
    hook = huawei_hook("mrs", emulator.url)
    lock_out_after_first_delete(hook, emulator)
    with pytest.raises(AuthenticationError) as info:
        hook.delete_jobs(targets, cluster_id=DEFAULT_CLUSTER_ID)
    report = info.value.report
    assert report.deleted == targets[:100]
    assert report.already_gone == []
    assert set(report.failed) == set(targets[100:])
    assert all("the run stopped" in reason for reason in report.failed.values())
    assert report.unaccounted == []
    assert emulator.live_ids("mrs") == set(targets[100:])  # the report tells the truth
    assert emulator.stats()["mrs.batch_delete"] == 2  # stopped at once: no third batch was sent


def test_operator_publishes_the_partial_report_before_failing(emulator, monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_HW_PARTIAL", json.dumps(password_connection(emulator.url)))
    targets = emulator.seed("mrs", 150, state="FAILED")
    operator = BatchDeleteJobsOperator(
        task_id="delete", conn_id="hw_partial", service="mrs", cluster_id=DEFAULT_CLUSTER_ID, job_ids=targets
    )

    from airflow_provider_jobcleanup import services

    build = services.get_cleanup_hook

    def hook_that_gets_locked_out(*args, **kwargs):
        hook = build(*args, **kwargs)
        lock_out_after_first_delete(hook, emulator)
        return hook

    monkeypatch.setattr(
        "airflow_provider_jobcleanup.operators.batch_delete.get_cleanup_hook", hook_that_gets_locked_out
    )

    class TI:
        pushed: dict = {}

        def xcom_push(self, key, value):
            self.pushed[key] = value

    ti = TI()
    with pytest.raises(AuthenticationError):
        operator.execute({"ti": ti})
    assert ti.pushed["deleted"] == targets[:100]
    assert sorted(ti.pushed["failed"]) == sorted(targets[100:])
    assert ti.pushed["return_value"]["requested"] == targets
