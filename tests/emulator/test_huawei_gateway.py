"""The emulator's API gateway refusing AK/SK requests the real gateway refuses: a stale X-Sdk-Date, a
tampered query or body, a malformed Authorization, an X-Project-Id that does not match the path. The requests
are signed with the provider's signer; what is checked is the emulator (the test double)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import requests

from airflow_provider_jobcleanup.auth.huawei_aksk import HuaweiAkSkAuth
from airflow_provider_jobcleanup.emulator.huawei_mrs import DEFAULT_CLUSTER_ID
from tests.profiles.huawei import IDENTITY


def _jobs_url(emulator, project_id: str = IDENTITY.project_id) -> str:
    return f"{emulator.url}/v2/{project_id}/clusters/{DEFAULT_CLUSTER_ID}/job-executions"


def _signed_get(emulator, *, auth: HuaweiAkSkAuth, now: datetime | None = None, url: str | None = None, params=None):
    prepared = requests.Request("GET", url or _jobs_url(emulator), params=params).prepare()
    auth(prepared, now=now)
    with requests.Session() as session:
        return session.send(prepared, timeout=10)


def _auth(project_id: str | None = IDENTITY.project_id) -> HuaweiAkSkAuth:
    return HuaweiAkSkAuth(IDENTITY.access_key, IDENTITY.secret_key, project_id)


def test_x_project_id_must_match_the_path(emulator):
    answer = _signed_get(emulator, auth=_auth(project_id="ffffffffffffffffffffffffffffffff"))
    assert answer.status_code == 403 and answer.json()["error_code"] == "APIGW.0302"
    answer = _signed_get(emulator, auth=_auth(project_id=None))
    assert answer.status_code == 401 and "X-Project-Id" in answer.json()["error_msg"]


@pytest.mark.parametrize(("minutes", "status"), [(0, 200), (-10, 200), (10, 200), (-20, 401), (20, 401)])
def test_x_sdk_date_must_be_within_15_minutes(emulator, minutes, status):
    now = datetime.now(timezone.utc) + timedelta(minutes=minutes)
    answer = _signed_get(emulator, auth=_auth(), now=now, params={"limit": 1})
    assert answer.status_code == status
    if status == 401:
        body = answer.json()
        assert body["error_code"] == "APIGW.0301" and "15 minutes" in body["error_msg"]
        assert body["request_id"] == answer.headers["X-Request-Id"]


def test_tampered_query_is_refused(emulator):
    prepared = requests.Request("GET", _jobs_url(emulator), params={"limit": 1}).prepare()
    _auth()(prepared)
    prepared.url = str(prepared.url).replace("limit=1", "limit=2")
    with requests.Session() as session:
        answer = session.send(prepared, timeout=10)
    assert answer.status_code == 401
    assert answer.json()["error_msg"].endswith("verify aksk signature fail")


def test_tampered_body_is_refused(emulator):
    targets = emulator.seed("mrs", 1, state="FAILED")
    prepared = requests.Request(
        "POST",
        _jobs_url(emulator) + "/batch-delete",
        json={"job_id_list": ["00000000-0000-4000-8000-000000000000"]},
    ).prepare()
    _auth()(prepared)
    prepared.body = json.dumps({"job_id_list": [targets[0]]}).encode()
    prepared.headers["Content-Length"] = str(len(prepared.body))
    with requests.Session() as session:
        answer = session.send(prepared, timeout=10)
    assert answer.status_code == 401
    assert emulator.live_ids("mrs") == set(targets)


def test_malformed_authorization_is_refused(emulator):
    answer = requests.get(
        _jobs_url(emulator),
        headers={"Authorization": "SDK-HMAC-SHA256 garbage", "X-Sdk-Date": "20250101T000000Z"},
        timeout=10,
    )
    assert answer.status_code == 401 and answer.json()["error_code"] == "APIGW.0301"
