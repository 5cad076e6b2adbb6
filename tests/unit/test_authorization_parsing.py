"""Reading an ``Authorization`` header back (the emulator checks every signature with these, as the services do):
a well-formed header gives exactly its parts, anything else gives ``None``, never a partial answer."""

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
