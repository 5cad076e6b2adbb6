"""AK/SK (SDK-HMAC-SHA256) mode end to end: the MRS hook signing its calls, and what it makes of the gateway's
refusals (wrong SK, unknown AK, wrong project, a temporary key without its security token). The gateway's own
checks are tested in tests/emulator/test_huawei_gateway.py."""

from __future__ import annotations

from datetime import datetime

import pytest
import requests

from airflow_provider_jobcleanup.auth.huawei_aksk import HuaweiAkSkAuth
from airflow_provider_jobcleanup.emulator.huawei_mrs import DEFAULT_CLUSTER_ID
from airflow_provider_jobcleanup.exceptions import AuthenticationError
from airflow_provider_jobcleanup.models import JobFilter
from tests.integration.huawei_helpers import aksk_hook
from tests.profiles.huawei import IDENTITY

CLUSTER = {"cluster_id": DEFAULT_CLUSTER_ID}


def mrs(emulator, **kwargs):
    return aksk_hook("mrs", emulator.url, **kwargs)


def _jobs_url(emulator, project_id: str = IDENTITY.project_id) -> str:
    return f"{emulator.url}/v2/{project_id}/clusters/{DEFAULT_CLUSTER_ID}/job-executions"


def _signed_get(emulator, *, auth: HuaweiAkSkAuth, now: datetime | None = None, url: str | None = None, params=None):
    prepared = requests.Request("GET", url or _jobs_url(emulator), params=params).prepare()
    auth(prepared, now=now)
    with requests.Session() as session:
        return session.send(prepared, timeout=10)


def _auth(project_id: str | None = IDENTITY.project_id) -> HuaweiAkSkAuth:
    return HuaweiAkSkAuth(IDENTITY.access_key, IDENTITY.secret_key, project_id)


def test_mrs_delete_with_aksk_needs_no_token(emulator):
    targets = emulator.seed("mrs", 4, state="FAILED")
    missing = "00000000-0000-4000-8000-000000000000"
    report = mrs(emulator).delete_jobs([*targets, missing], **CLUSTER)
    assert sorted(report.deleted) == sorted(targets)
    assert report.already_gone == [missing]
    stats = emulator.stats()
    assert "iam.tokens" not in stats
    assert emulator.live_ids("mrs") == set()


def test_mrs_states_and_list_with_signed_query_strings(emulator):
    old = emulator.seed("mrs", 2, state="FAILED", name="a b+c/é", age_seconds=8 * 86400)
    emulator.seed("mrs", 2, state="FAILED", name="a b+c/é", age_seconds=10)
    hook = mrs(emulator)
    found = hook.list_jobs(JobFilter.from_value({"states": ["FAILED"], "older_than": "7d"}), **CLUSTER)
    assert sorted(j.job_id for j in found) == sorted(old)
    states = hook.get_job_states(old, **CLUSTER)
    assert not any(s.gone for s in states.values())


def test_temporary_aksk_with_security_token(emulator):
    targets = emulator.seed("mrs", 2, state="FAILED")
    report = mrs(emulator, temporary=True).delete_jobs(targets, **CLUSTER)
    assert sorted(report.deleted) == sorted(targets)


def test_temporary_aksk_with_a_wrong_security_token_is_refused(emulator):
    targets = emulator.seed("mrs", 1, state="FAILED")
    with pytest.raises(AuthenticationError, match="security token"):
        mrs(emulator, temporary=True, security_token="not-the-token").delete_jobs(targets, **CLUSTER)
    assert emulator.live_ids("mrs") == set(targets)


def test_wrong_secret_key_is_a_clear_error(emulator):
    targets = emulator.seed("mrs", 3, state="FAILED")
    hook = mrs(emulator)
    hook.connection.password = "not-the-secret-key"
    with pytest.raises(AuthenticationError, match="verify aksk signature fail") as info:
        hook.delete_jobs(targets, **CLUSTER)
    assert "APIGW.0301" in str(info.value) and "HTTP 401" in str(info.value)
    assert "not-the-secret-key" not in str(info.value)
    stats = emulator.stats()
    assert stats["mrs.list"] == 1  # refused at the look before the delete: not retried
    assert "mrs.batch_delete" not in stats  # no delete is sent
    assert emulator.live_ids("mrs") == set(targets)
    assert sorted(info.value.report.failed) == sorted(targets)


def test_unknown_access_key(emulator):
    hook = mrs(emulator)
    hook.connection.login = "UNKNOWNACCESSKEY0000"
    with pytest.raises(AuthenticationError, match="ak not exist") as info:
        hook.get_job_states(["3c7a5a6e-2f0b-4d6b-9d0e-0f4b5c1e2a7d"], **CLUSTER)
    assert "UNKN****" in str(info.value)


def test_wrong_project_id_is_refused(emulator):
    hook = mrs(emulator, project_id="ffffffffffffffffffffffffffffffff")
    with pytest.raises(AuthenticationError, match=r"APIGW\.0302"):
        hook.get_job_states(["3c7a5a6e-2f0b-4d6b-9d0e-0f4b5c1e2a7d"], **CLUSTER)
