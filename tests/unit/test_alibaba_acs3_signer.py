"""Our ACS3-HMAC-SHA256 signer against the official one (``alibabacloud_tea_openapi.utils.Utils``).

For each generated request the official ``Utils.get_authorization`` gets what the SDK's ``do_request`` would
give it: the decoded query dict, the headers being signed (built here from the inputs, not read back from our
request) and ``hex(sha256(body))``, with the same date and nonce. Both ``Authorization`` headers must be equal
character for character.
"""

from __future__ import annotations

import json
import random
import string
from datetime import datetime, timedelta, timezone

import pytest
import requests

from airflow_provider_jobcleanup.auth.alibaba_acs3 import AlibabaAcs3Auth, parse_authorization

openapi_utils = pytest.importorskip("alibabacloud_tea_openapi.utils")
DaraRequest = pytest.importorskip("darabonba.request").DaraRequest

ACTIONS = ["DeleteJobs", "GetJob", "ListJobs", "ListExecutors", "CreateJob", "DescribeJobMetricData"]
KEYS = [
    "JobSpec",
    "ExecutorIds",
    "JobScheduler",
    "Filter",
    "PageNumber",
    "PageSize",
    "SortBy",
    "Tag.1.Key",
    "Tag.1.Value",
    "JobId",
    "RegionId",
    "a_b",
    "x-y",
    "Z9",
]
ODD = [
    " ",
    "+",
    "&",
    "=",
    "%",
    "/",
    "?",
    "#",
    "~",
    "*",
    "'",
    "(",
    ")",
    "!",
    ":",
    ";",
    ",",
    "[",
    "]",
    '"',
    "\\",
    "\t",
    "é",
    "中文",
    "😀",
    "ß",
    "\u00a0",
    "%20",
    "%2B",
    "-",
    "_",
    ".",
]


def _value(rng: random.Random) -> str | None:
    kind = rng.randrange(6)
    if kind == 0:
        return None
    if kind == 1:
        return ""
    if kind == 2:  # a JSON parameter as the SDK serializes it
        spec = [
            {"JobId": f"job-{rng.randrange(10**6)}", "TaskSpec": [{"ArrayIndex": [1, 2], "TaskName": "t 0"}]}
        ]
        return json.dumps(spec, separators=(",", ":"), ensure_ascii=False)
    pool = string.ascii_letters + string.digits
    return "".join(
        rng.choice(ODD) if rng.random() < 0.4 else rng.choice(pool) for _ in range(rng.randrange(1, 30))
    )


def _body(rng: random.Random) -> bytes | str | None:
    kind = rng.randrange(4)
    if kind == 0:
        return None
    if kind == 1:
        return rng.randbytes(rng.randrange(1, 64))
    if kind == 2:
        return "JobId=job-abc&Name=" + "".join(rng.choice(ODD) for _ in range(5))
    return json.dumps({"k": _value(rng) or "v", "n": rng.randrange(1000)}, ensure_ascii=False)


def _case(rng: random.Random):
    query = {key: _value(rng) for key in rng.sample(KEYS, rng.randrange(0, 6))}
    body = _body(rng)
    sts = "sts-token-" + "".join(rng.choices(string.ascii_letters, k=12)) if rng.random() < 0.3 else None
    content_type = (
        rng.choice([None, "application/json", "application/x-www-form-urlencoded"]) if body else None
    )
    return {
        "method": rng.choice(["POST", "GET", "PUT", "DELETE"]),
        "host": rng.choice(
            [
                "ehpcinstant.cn-hangzhou.aliyuncs.com",
                "127.0.0.1:8765",
                "ehpcinstant.ap-southeast-1.aliyuncs.com",
            ]
        ),
        "action": rng.choice(ACTIONS),
        "query": query,
        "body": body,
        "sts": sts,
        "content_type": content_type,
        "ak": "LTAI" + "".join(rng.choices(string.ascii_letters + string.digits, k=20)),
        "secret": "".join(rng.choices(string.ascii_letters + string.digits + "+/=", k=30)),
        "date": (
            datetime(2024, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=rng.randrange(10**8))
        ).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "nonce": f"{rng.getrandbits(128):032x}",
    }


def _ours(case) -> str:
    headers = {"x-acs-action": case["action"]}
    if case["content_type"]:
        headers["Content-Type"] = case["content_type"]
    prepared = requests.Request(
        case["method"], f"https://{case['host']}/", params=case["query"], data=case["body"], headers=headers
    ).prepare()
    auth = AlibabaAcs3Auth(
        case["ak"],
        case["secret"],
        security_token=case["sts"],
        clock=lambda: case["date"],
        nonce=lambda: case["nonce"],
    )
    return auth(prepared).headers["Authorization"]


def _official(case) -> str:
    body = case["body"]
    raw = body.encode("utf-8") if isinstance(body, str) else (body or b"")
    payload = openapi_utils.Utils.hash(raw, "ACS3-HMAC-SHA256").hex()
    headers = {
        "host": case["host"],
        "x-acs-version": "2023-07-01",
        "x-acs-action": case["action"],
        "x-acs-date": case["date"],
        "x-acs-signature-nonce": case["nonce"],
        "x-acs-content-sha256": payload,
    }
    if case["content_type"]:
        headers["content-type"] = case["content_type"]
    if case["sts"]:
        headers["x-acs-accesskey-id"] = case["ak"]
        headers["x-acs-security-token"] = case["sts"]
    request = DaraRequest()
    request.method = case["method"]
    request.pathname = "/"
    request.query = {k: v for k, v in case["query"].items() if v is not None}
    request.headers = headers
    return openapi_utils.Utils.get_authorization(
        request, "ACS3-HMAC-SHA256", payload, case["ak"], case["secret"]
    )


@pytest.mark.parametrize("seed", range(5))
def test_authorization_matches_official_sdk(seed: int) -> None:
    """5 x 50 = 250 generated requests: actions, odd/unicode/JSON query values, bodies, STS."""
    rng = random.Random(seed)
    for _ in range(50):
        case = _case(rng)
        assert _ours(case) == _official(case), case


def test_payload_hash_of_empty_body_is_the_documented_constant() -> None:
    prepared = requests.Request("POST", "https://h/", headers={"x-acs-action": "GetJob"}).prepare()
    AlibabaAcs3Auth("ak", "secret")(prepared)
    assert prepared.headers["x-acs-content-sha256"] == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


def test_every_retry_is_signed_with_a_fresh_nonce() -> None:
    auth = AlibabaAcs3Auth("ak", "secret")
    first = auth(requests.Request("POST", "https://h/", headers={"x-acs-action": "GetJob"}).prepare())
    second = auth(requests.Request("POST", "https://h/", headers={"x-acs-action": "GetJob"}).prepare())
    assert first.headers["x-acs-signature-nonce"] != second.headers["x-acs-signature-nonce"]
    assert first.headers["Authorization"] != second.headers["Authorization"]


def test_secret_never_appears_in_headers_or_repr() -> None:
    auth = AlibabaAcs3Auth("LTAIKEY", "very-secret-value", security_token="sts-token")
    prepared = auth(requests.Request("POST", "https://h/", headers={"x-acs-action": "GetJob"}).prepare())
    assert "very-secret-value" not in repr(auth)
    assert all("very-secret-value" not in v for v in prepared.headers.values())
    fields = parse_authorization(prepared.headers["Authorization"])
    assert fields is not None and fields["Credential"] == "LTAIKEY"
    assert "x-acs-security-token" in fields["SignedHeaders"].split(";")


def test_missing_action_is_refused() -> None:
    with pytest.raises(ValueError, match="x-acs-action"):
        AlibabaAcs3Auth("ak", "secret")(requests.Request("POST", "https://h/").prepare())
