"""The emulator's API gateway check of AK/SK signatures: a header that must be signed and is sent unsigned is
refused, as the real gateway refuses it. These tests exercise the emulator (the test double), not the provider."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
import requests

from airflow_provider_jobcleanup.auth.huawei_aksk import DATE_FORMAT, sign_headers
from airflow_provider_jobcleanup.emulator.huawei_mrs import DEFAULT_CLUSTER_ID
from tests.profiles.huawei import IDENTITY


def jobs_path() -> str:
    return f"/v2/{IDENTITY.project_id}/clusters/{DEFAULT_CLUSTER_ID}/job-executions"


def send(emulator, *, temporary: bool, leave_unsigned: str | None) -> requests.Response:
    """A GET whose every header is sent, and all but ``leave_unsigned`` are listed in ``SignedHeaders``."""
    url = emulator.url + jobs_path()
    headers = {
        "Host": urlsplit(url).netloc,
        "X-Sdk-Date": time.strftime(DATE_FORMAT, time.gmtime()),
        "X-Project-Id": IDENTITY.project_id,
    }
    access_key, secret_key = IDENTITY.access_key, IDENTITY.secret_key
    if temporary:
        headers["X-Security-Token"] = IDENTITY.security_token
        access_key, secret_key = IDENTITY.temp_access_key, IDENTITY.temp_secret_key
    signed = {k: v for k, v in headers.items() if k.lower() != leave_unsigned}
    authorization = sign_headers(access_key, secret_key, "GET", jobs_path(), [], signed, None)
    return requests.get(url, headers={**headers, "Authorization": authorization}, timeout=10)


@pytest.mark.parametrize("temporary", [False, True])
def test_every_header_signed_is_accepted(emulator, temporary):
    assert send(emulator, temporary=temporary, leave_unsigned=None).status_code == 200


@pytest.mark.parametrize(
    ("temporary", "header"),
    [
        (False, "host"),
        (False, "x-sdk-date"),
        (False, "x-project-id"),
        (True, "x-project-id"),
        (True, "x-security-token"),
    ],
)
def test_a_sent_header_left_unsigned_is_refused_with_the_signature_error(emulator, temporary, header):
    answer = send(emulator, temporary=temporary, leave_unsigned=header)
    assert answer.status_code == 401
    body = answer.json()
    assert body["error_code"] == "APIGW.0301" and "verify aksk signature fail" in body["error_msg"]
    assert header in body["error_msg"]
