"""How log lines name a task's scope, and how a listing with conflicting rows is refused (both without a
network: the hooks are built from connections in the environment, nothing is sent)."""

from __future__ import annotations

import json

import pytest

from airflow_provider_jobcleanup.exceptions import UnexpectedAnswerError
from airflow_provider_jobcleanup.hooks.paging import select_matching
from airflow_provider_jobcleanup.models import JobFilter, JobInfo
from airflow_provider_jobcleanup.services import get_cleanup_hook
from airflow_provider_jobcleanup.testing.connections import (
    aksk_connection,
    ehpc_connection,
    scnet_password_connection,
)

CLUSTER = "6a8c3b1e-6f2a-4c1d-9b7e-0a1b2c3d4e5f"


@pytest.fixture
def connections(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_HW", json.dumps(aksk_connection("http://127.0.0.1:9")))
    monkeypatch.setenv("AIRFLOW_CONN_ALI", json.dumps(ehpc_connection("http://127.0.0.1:9")))
    monkeypatch.setenv("AIRFLOW_CONN_SC", json.dumps(scnet_password_connection("http://127.0.0.1:9")))


def test_the_scope_is_the_service_and_its_parameters_else_its_region(connections):
    mrs = get_cleanup_hook("hw", "mrs")
    assert mrs.scope_label({"cluster_id": CLUSTER}) == f"mrs cluster {CLUSTER}"
    assert mrs.scope_label({"cluster_id": ""}) == f"mrs region {mrs.scope_region()}"
    ehpc = get_cleanup_hook("ali", "ehpc")
    assert ehpc.scope_label({}) == "ehpc region cn-hangzhou"
    res = get_cleanup_hook("hw", "res")
    assert res.scope_label({"type": "etl"}) == "res region cn-north-4"  # its type is not where jobs live
    scnet = get_cleanup_hook("sc", "scnet")
    assert scnet.scope_label({"job_manager_id": "7", "user": "alice"}) == "scnet job manager 7"
    assert scnet.scope_label({}) == "scnet"  # no region in an SCNet connection


def test_a_listing_with_conflicting_rows_names_at_most_five_and_the_service():
    rows = [JobInfo(job_id=str(i), state="RUNNING") for i in range(7)]
    rows += [JobInfo(job_id=str(i), state="FAILED") for i in range(7)]
    with pytest.raises(UnexpectedAnswerError) as caught:
        select_matching([(rows, len(rows))], JobFilter(), service="mrs")
    assert caught.value.service == "mrs"
    assert caught.value.message == "the job list shows jobs ['0', '1', '2', '3', '4'] twice with different states"


def test_a_listing_keeps_each_matching_job_once_in_order():
    rows = [
        JobInfo(job_id="b", state="FAILED"),
        JobInfo(job_id="a", state="RUNNING"),
        JobInfo(job_id="b", state="FAILED"),
    ]
    assert [job.job_id for job in select_matching([(rows, 2)], JobFilter(states=("failed",)))] == ["b"]
    assert [job.job_id for job in select_matching([(rows, 2)], JobFilter())] == ["b", "a"]
