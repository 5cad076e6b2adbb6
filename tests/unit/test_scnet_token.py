"""SCNet token helpers: the AK/SK signature, JWT claims and expiry, and the choice of region token."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from airflow_provider_jobcleanup.auth.scnet_token import (
    DEFAULT_LIFETIME,
    ScnetTokenProvider,
    aksk_signature,
    jwt_claims,
    pick_region_token,
    token_expiry,
)
from airflow_provider_jobcleanup.exceptions import ConfigurationError, PermissionDeniedError

#: the token printed in SCNet's own "get center" documentation example
DOC_TOKEN = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJjb21wdXRlVXNlciI6InNsdXJtdGVzdCIsImFjY291bnRTdGF0dXMiOiJUcmlhbCIsI"
    "mNyZWF0b3IiOiJhYyIsInJvbGUiOiIxIiwiZXhwaXJlVGltZSI6IjE2ODYwMzY3NjA5NTQiLCJjbHVzdGVySWQiOiIxMTExMiIsImludm9"
    "rZXIiOiI2MDQ4Y2U3YmExNWMyYWYyZThjZWMxMjk5MWVjMTNjZiIsInVzZXIiOiJzbHVybXRlc3QiLCJ1c2VySWQiOiIxMTY1NTA0ODU0"
    "MSJ9.f7nvKA2DqTsXjqF90zblMhwx0zKPpITY0uuSG2ouKG0"
)


def test_signature_is_hmac_sha256_over_the_documented_compact_json():
    # The message exactly as the SCNet AK/SK page prints it, spelled out by hand (not via json.dumps).
    message = '{"accessKey":"85f96a42b13f4d2c8b760d2775bbcca8","timestamp":"1764597591","user":"bob"}'
    expected = hmac.new(b"my-secret", message.encode(), hashlib.sha256).hexdigest()
    assert aksk_signature("my-secret", "85f96a42b13f4d2c8b760d2775bbcca8", "1764597591", "bob") == expected
    assert len(expected) == 64 and expected == expected.lower()


def test_signature_changes_with_every_input():
    base = aksk_signature("sk", "ak", "1", "u")
    assert (
        len(
            {
                base,
                aksk_signature("sk2", "ak", "1", "u"),
                aksk_signature("sk", "ak", "2", "u"),
                aksk_signature("sk", "ak", "1", "v"),
            }
        )
        == 4
    )


def test_documented_token_claims_and_expiry_in_milliseconds():
    claims = jwt_claims(DOC_TOKEN)
    assert claims["computeUser"] == "slurmtest"
    assert claims["clusterId"] == "11112"
    assert token_expiry(DOC_TOKEN, now=0.0) == pytest.approx(1686036760.954)


@pytest.mark.parametrize("token", ["opaque-token", "a.b.c", "a.!!!.c", ""])
def test_undecodable_token_lives_24_hours(token):
    assert jwt_claims(token) == {}
    assert token_expiry(token, now=1000.0) == 1000.0 + DEFAULT_LIFETIME


REGIONS = [
    {"clusterId": "0", "clusterName": "ac", "token": "platform"},
    {"clusterId": "11112", "clusterName": "kunshan", "token": "t-kunshan"},
    {"clusterId": "11113", "clusterName": "wuzhen", "token": "t-wuzhen"},
]


def test_region_token_is_picked_by_name():
    assert pick_region_token(REGIONS, "wuzhen", "u")["token"] == "t-wuzhen"


def test_single_compute_region_needs_no_name():
    assert pick_region_token(REGIONS[:2], None, "u")["token"] == "t-kunshan"


def test_several_regions_without_a_name_is_a_clear_error():
    with pytest.raises(ConfigurationError, match=r"cluster_name.*|kunshan.*wuzhen"):
        pick_region_token(REGIONS, None, "u")


def test_unknown_region_names_the_available_ones():
    with pytest.raises(ConfigurationError) as err:
        pick_region_token(REGIONS, "hefei", "alice")
    assert "hefei" in str(err.value) and "'kunshan', 'wuzhen'" in str(err.value) and "alice" in str(err.value)


def test_null_token_means_a_suspended_account():
    regions = [{"clusterId": "11112", "clusterName": "kunshan", "token": None}]
    with pytest.raises(PermissionDeniedError, match="suspended"):
        pick_region_token(regions, "kunshan", "alice")


def test_provider_needs_a_complete_credential_set():
    with pytest.raises(ConfigurationError, match="org_id"):
        ScnetTokenProvider(base_url="https://api.scnet.cn", user="u", password="p")
    provider = ScnetTokenProvider(base_url="https://x", user="u", access_key="ak", secret_key="sk")
    assert provider.mode == "AK/SK login"
