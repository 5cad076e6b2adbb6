"""Signing details the services' checks depend on: reading an ``Authorization`` header back (the emulator checks
every signature with these, as the services do: a well-formed header gives exactly its parts, anything else
``None``), ACS3's canonical form at its edges, and request dates in UTC whatever the machine's time zone."""

from __future__ import annotations

import pytest

from airflow_provider_jobcleanup.auth import alibaba_acs3, huawei_aksk

HUAWEI = "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host;x-sdk-date, Signature=ABCDEF0123"
ALIBABA = "ACS3-HMAC-SHA256 Credential=LTAI1,SignedHeaders=host;x-acs-date,Signature=abc123"


def test_a_huawei_header_gives_its_key_signed_headers_and_lower_case_signature():
    assert huawei_aksk.parse_authorization(HUAWEI) == ("AK1", ["host", "x-sdk-date"], "abcdef0123")
    spaced = "SDK-HMAC-SHA256   Access=AK1,SignedHeaders=host,Signature=ff  "
    assert huawei_aksk.parse_authorization(spaced) == ("AK1", ["host"], "ff")


@pytest.mark.parametrize(
    "value",
    [
        "",
        None,
        HUAWEI.replace("SDK-HMAC-SHA256", "SDK-HMAC-SHA1"),
        HUAWEI.replace("Signature=ABCDEF0123", "Signature=not-hex"),
        HUAWEI.replace("Access=AK1, ", ""),
        "x" + HUAWEI,
        HUAWEI + ", Extra=1",
    ],
)
def test_a_malformed_huawei_header_gives_none(value):
    assert huawei_aksk.parse_authorization(value) is None


def test_an_alibaba_header_gives_exactly_its_fields():
    assert alibaba_acs3.parse_authorization(ALIBABA) == {
        "Credential": "LTAI1", "SignedHeaders": "host;x-acs-date", "Signature": "abc123",
    }  # fmt: skip
    spaced = "  ACS3-HMAC-SHA256 Credential=LTAI1, SignedHeaders=host, Signature=ff  "
    assert alibaba_acs3.parse_authorization(spaced) == {
        "Credential": "LTAI1", "SignedHeaders": "host", "Signature": "ff",
    }  # fmt: skip
    # a field's value is everything after its first "="
    parsed = alibaba_acs3.parse_authorization(ALIBABA.replace("Signature=abc123", "Signature=ab=c"))
    assert parsed is not None and parsed["Signature"] == "ab=c"


@pytest.mark.parametrize(
    "value",
    [
        "",
        ALIBABA.replace("ACS3-HMAC-SHA256", "ACS3-HMAC-SM3"),
        ALIBABA.replace("Credential=LTAI1,", ""),
        ALIBABA.replace("SignedHeaders=host;x-acs-date,", ""),
        ALIBABA.replace("Signature=abc123", "Signature="),
        ALIBABA.replace("Credential=LTAI1", "Credential="),
        ALIBABA.replace(",SignedHeaders=host;x-acs-date", ",SignedHeaders="),
    ],
)
def test_a_malformed_alibaba_header_gives_none(value):
    assert alibaba_acs3.parse_authorization(value) is None


def test_acs3_merges_a_header_given_twice_under_one_lower_case_name():
    block, signed = alibaba_acs3.canonical_headers({"X-Acs-Meta": "b ", "x-acs-meta": " a", "Host": "h"})
    assert block == "host:h\nx-acs-meta:a,b\n" and signed == "host;x-acs-meta"


def test_acs3_signs_an_empty_path_as_the_root():
    headers = {"host": "h", "x-acs-action": "ListJobs"}
    empty = alibaba_acs3.string_to_sign("get", "", [], headers, alibaba_acs3.EMPTY_SHA256)
    assert empty == alibaba_acs3.string_to_sign("GET", "/", [], headers, alibaba_acs3.EMPTY_SHA256)


def test_acs3_needs_the_action_header():
    import requests

    request = requests.Request("POST", "http://127.0.0.1:9/", data=b"{}").prepare()
    auth = alibaba_acs3.AlibabaAcs3Auth("LTAI1", "secret")
    with pytest.raises(ValueError) as caught:
        auth(request)
    assert str(caught.value) == "ACS3 signing needs the x-acs-action header (the API action name)"


def _huawei_signed(data: object, content_type: str | None = None, **auth_args: str) -> dict[str, str]:
    """The headers of a request signed at a fixed time (``now``), as sent."""
    from datetime import datetime, timezone

    import requests

    headers = {"Content-Type": content_type} if content_type else {}
    request = requests.Request("POST", "http://127.0.0.1:9/v1/p/jobs?b=2&a=1", data=data, headers=headers).prepare()
    auth = huawei_aksk.HuaweiAkSkAuth("AK1", "SK1", auth_args.get("project_id"), auth_args.get("token"))
    auth(request, now=datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc))
    return dict(request.headers)


def test_huawei_signs_a_text_body_as_its_utf8_bytes():
    text = '{"name": "作业-1"}'
    as_text = _huawei_signed(text, "application/json")
    as_bytes = _huawei_signed(text.encode("utf-8"), "application/json")
    assert as_text["Authorization"] == as_bytes["Authorization"]


def test_huawei_refuses_to_sign_a_streamed_body():
    with pytest.raises(TypeError) as caught:
        _huawei_signed(iter([b"{}"]), "application/json")
    assert str(caught.value) == "HuaweiAkSkAuth cannot sign a streamed body"


@pytest.mark.parametrize(
    ("content_type", "unsigned"),
    [("application/json", False), ("application/bson", False), ("application/octet-stream", True)],
)
def test_huawei_signs_the_payload_of_json_and_bson_bodies_only(content_type, unsigned):
    sent = _huawei_signed(b"{}", content_type)
    assert (sent.get(huawei_aksk.CONTENT_SHA256_HEADER) == huawei_aksk.UNSIGNED_PAYLOAD) is unsigned


def _huawei_date() -> str:
    import requests

    request = requests.Request("GET", "http://127.0.0.1:9/v1/p/jobs").prepare()
    huawei_aksk.HuaweiAkSkAuth("AK1", "SK1", None)(request)
    return str(request.headers["X-Sdk-Date"])


@pytest.mark.parametrize("zone", ["CST-8", "EST+5"])  # POSIX TZ strings: no time zone database needed
@pytest.mark.parametrize(
    ("signer", "date_format"),
    [(alibaba_acs3._utc_now, alibaba_acs3.DATE_FORMAT), (_huawei_date, huawei_aksk.DATE_FORMAT)],
    ids=["acs3", "huawei"],
)
def test_request_dates_are_utc_whatever_the_machine_s_time_zone(zone, signer, date_format, monkeypatch):
    import time

    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        before = time.strftime(date_format, time.gmtime())
        stamp = signer()
        after = time.strftime(date_format, time.gmtime())
    finally:
        monkeypatch.undo()
        time.tzset()
    assert before <= stamp <= after


@pytest.mark.parametrize(("access_key", "secret_key"), [("", "SK1"), ("AK1", ""), ("", "")])
def test_huawei_signing_needs_both_keys(access_key, secret_key):
    with pytest.raises(ValueError) as caught:
        huawei_aksk.HuaweiAkSkAuth(access_key, secret_key, None)
    assert str(caught.value) == "HuaweiAkSkAuth needs an access key and a secret key"


def test_acs3_keeps_a_request_s_own_api_version():
    import requests

    headers = {"x-acs-action": "ListJobs", "x-acs-version": "2023-07-01"}
    request = requests.Request("POST", "http://127.0.0.1:9/", headers=headers).prepare()
    alibaba_acs3.AlibabaAcs3Auth("LTAI1", "secret", version="2099-01-01")(request)
    assert request.headers["x-acs-version"] == "2023-07-01"
    plain = requests.Request("POST", "http://127.0.0.1:9/", headers={"x-acs-action": "ListJobs"}).prepare()
    alibaba_acs3.AlibabaAcs3Auth("LTAI1", "secret", version="2099-01-01")(plain)
    assert plain.headers["x-acs-version"] == "2099-01-01"
