"""Our SDK-HMAC-SHA256 signer against the official ``huaweicloudsdkcore`` signer, request by request.

Hundreds of generated requests (methods, paths with odd and non-ASCII characters, repeated and blank query
parameters, JSON and non-JSON bodies, temporary credentials): the ``Authorization`` header and the URL sent
must be exactly what the official SDK produces for the same request at the same instant.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timezone
from urllib.parse import unquote, urlsplit

import pytest
import requests

from airflow_provider_jobcleanup.auth.huawei_aksk import DATE_FORMAT, HuaweiAkSkAuth, parse_authorization

sdk_credentials = pytest.importorskip("huaweicloudsdkcore.auth.credentials")
sdk_request_module = pytest.importorskip("huaweicloudsdkcore.sdk_request")

NOW = datetime(2025, 3, 14, 9, 26, 53, tzinfo=timezone.utc)
HOSTS = ["dli.cn-north-4.myhuaweicloud.com", "127.0.0.1:8123", "mrs.eu-de.otc.t-systems.com"]
SEGMENT_CHARS = [*list("abcXYZ019-_.~!*'();:@&=+$, "), "é", "中文", "%20", "%2F", "%41", "ü"]
QUERY_CHARS = [*list("abcXYZ019-_.~!*'();:@&=+$,/? #[]"), "é", "中", "%", "%41"]
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]


def _text(rng: random.Random, alphabet: list[str], low: int, high: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(low, high)))


def _case(rng: random.Random) -> dict:
    # "." and ".." segments are dot-segments that every HTTP client removes before sending: not API paths.
    segments = [_text(rng, SEGMENT_CHARS, 1, 6) for _ in range(rng.randint(0, 5))]
    segments = [s + "x" if s in (".", "..") else s for s in segments]
    path = "/" + "/".join(segments)
    if rng.random() < 0.2:
        path += "/"
    params = [
        (_text(rng, QUERY_CHARS, 1, 5), _text(rng, QUERY_CHARS, 0, 6)) for _ in range(rng.randint(0, 5))
    ]
    if params and rng.random() < 0.3:
        params.append((params[0][0], _text(rng, QUERY_CHARS, 0, 4)))  # repeated name
    kind = rng.choice(["none", "json", "text", "empty-json"])
    body: bytes | None = None
    content_type = None
    if kind == "json":
        body = json.dumps({"job_ids": [rng.randint(1, 10**6) for _ in range(3)], "n": "é"}).encode()
        content_type = "application/json"
    elif kind == "text":
        body = _text(rng, SEGMENT_CHARS, 1, 20).encode()
        content_type = rng.choice(["text/plain", "application/octet-stream"])
    elif kind == "empty-json":
        body = b""
        content_type = "application/json;charset=UTF-8"
    return {
        "method": rng.choice(METHODS),
        "host": rng.choice(HOSTS),
        "path": path,
        "params": params,
        "body": body,
        "content_type": content_type,
        "ak": "AK" + _text(rng, list("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), 10, 20),
        "sk": _text(rng, list("abcdefghijklmnopqrstuvwxyz0123456789+/="), 20, 40),
        "project_id": rng.choice([None, "0a1b2c3d4e5f60718293a4b5c6d7e8f9"]),
        "token": rng.choice([None, None, "gQpjbi1ub3J0aC00" + _text(rng, list("abcdef0123456789"), 30, 60)]),
    }


CASES = [_case(random.Random(seed)) for seed in range(300)]


def _ours(case: dict) -> requests.PreparedRequest:
    headers = {"Content-Type": case["content_type"]} if case["content_type"] else {}
    prepared = requests.Request(
        case["method"],
        f"https://{case['host']}{case['path']}",
        params=case["params"],
        data=case["body"],
        headers=headers,
    ).prepare()
    auth = HuaweiAkSkAuth(case["ak"], case["sk"], case["project_id"], case["token"])
    return auth(prepared, now=NOW)


def _official(case: dict):
    headers = {"X-Sdk-Date": NOW.strftime(DATE_FORMAT)}
    if case["content_type"]:
        headers["Content-Type"] = case["content_type"]
    request = sdk_request_module.SdkRequest(
        method=case["method"],
        schema="https",
        host=case["host"],
        resource_path=case["path"],
        query_params=list(case["params"]),
        header_params=headers,
        body=case["body"],
    )
    credentials = sdk_credentials.BasicCredentials(case["ak"], case["sk"], case["project_id"])
    if case["token"]:
        credentials = credentials.with_security_token(case["token"])
    return credentials.sign_request(request)


@pytest.mark.parametrize("case", CASES, ids=[f"case{i}" for i in range(len(CASES))])
def test_authorization_matches_official_sdk(case):
    ours = _ours(case)
    official = _official(case)
    assert ours.headers["Authorization"] == official.header_params["Authorization"]
    sent = urlsplit(ours.url)
    official_path, _, official_query = official.uri.partition("?")
    assert sent.query == official_query
    # The path keeps its own encoding; both must decode to the same path.
    assert unquote(sent.path) == unquote(official_path)
    if case["token"]:
        assert ours.headers["X-Security-Token"] == case["token"]
        assert "x-security-token" in ours.headers["Authorization"]


def test_header_shape_and_secret_never_in_repr():
    auth = HuaweiAkSkAuth("AKDEMO", "very-secret-sk", "proj", "sts-token-value")
    prepared = auth(
        requests.Request("GET", "https://dli.cn-north-4.myhuaweicloud.com/v1.0/p/x").prepare(), now=NOW
    )
    parsed = parse_authorization(prepared.headers["Authorization"])
    assert parsed is not None
    access, signed, signature = parsed
    assert access == "AKDEMO"
    assert signed == ["host", "x-project-id", "x-sdk-date", "x-security-token"]
    assert len(signature) == 64
    assert prepared.headers["X-Sdk-Date"] == "20250314T092653Z"
    assert "very-secret-sk" not in repr(auth) and "sts-token-value" not in repr(auth)


def test_signed_headers_skip_names_with_underscore():
    from airflow_provider_jobcleanup.auth.huawei_aksk import signed_header_names

    assert signed_header_names({"X-Sdk-Date": "d", "Host": "h", "x_custom": "v"}) == ["host", "x-sdk-date"]


def test_a_different_secret_gives_a_different_signature():
    case = CASES[0]
    other = dict(case, sk=case["sk"] + "x")
    assert _ours(case).headers["Authorization"] != _ours(other).headers["Authorization"]
