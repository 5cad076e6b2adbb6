"""The shared transport with ``responses``: retry policy, Retry-After, typed errors, endpoint safety."""

from __future__ import annotations

import logging
import re

import pytest
import responses

from airflow_provider_jobcleanup.answers import parse_retry_after
from airflow_provider_jobcleanup.connection_settings import RetryPolicy, check_endpoint
from airflow_provider_jobcleanup.exceptions import (
    ApiError,
    ConfigurationError,
    EndpointNotFoundError,
    NotFoundError,
    ThrottledError,
    TransientServiceError,
)
from airflow_provider_jobcleanup.transport import ApiTransport

URL = "https://svc.example.test/v1/jobs"
FAST = RetryPolicy(max_attempts=4, initial_wait=0.001, max_wait=0.002, jitter=0.0)


@responses.activate
def test_5xx_is_retried_then_succeeds():
    responses.post(URL, status=503)
    responses.post(URL, status=503)
    responses.post(URL, json={"ok": True})
    transport = ApiTransport("svc", retry=FAST)
    assert transport.request("POST", URL).json() == {"ok": True}
    assert transport.calls == 3 and transport.retries == 2


@responses.activate
def test_other_4xx_is_not_retried_and_carries_code_and_request_id():
    responses.post(URL, status=400, json={"error_code": "X.1", "error_msg": "bad"}, headers={"X-Request-Id": "rid-1"})
    transport = ApiTransport("svc", retry=FAST)
    with pytest.raises(ApiError) as info:
        transport.request("POST", URL)
    assert info.value.error_code == "X.1" and info.value.request_id == "rid-1" and info.value.status_code == 400
    assert "rid-1" in str(info.value)
    assert transport.calls == 1


@responses.activate
def test_retries_are_bounded_by_the_policy():
    for _ in range(10):
        responses.post(URL, status=429, headers={"Retry-After": "0"})
    transport = ApiTransport("svc", retry=FAST)
    with pytest.raises(ThrottledError):
        transport.request("POST", URL)
    assert transport.calls == FAST.max_attempts


@responses.activate
def test_a_bare_404_is_a_wrong_endpoint_never_not_found():
    responses.get(URL, status=404, body="<html>nginx</html>", content_type="text/html")
    with pytest.raises(EndpointNotFoundError) as caught:
        ApiTransport("svc", retry=FAST).request("GET", URL)
    assert not isinstance(caught.value, NotFoundError)
    assert "HTTP 404 without a not-found code" in str(caught.value)


def test_connection_refused_is_a_retryable_transport_error():
    transport = ApiTransport("svc", retry=FAST)
    with pytest.raises(ApiError) as info:
        transport.request("GET", "http://127.0.0.1:9/none")
    assert info.value.retryable and transport.calls == FAST.max_attempts


def test_retry_after_parsing():
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("0.25") == 0.25
    assert parse_retry_after(None) is None
    assert parse_retry_after("garbage") is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0


def test_plain_http_is_refused_except_loopback_or_explicit():
    assert check_endpoint("http://127.0.0.1:8765/") == "http://127.0.0.1:8765"
    assert check_endpoint("http://localhost:1") == "http://localhost:1"
    with pytest.raises(ConfigurationError, match="plain http"):
        check_endpoint("http://mrs.example.com")
    assert check_endpoint("http://mrs.example.com", allow_insecure_http=True)
    with pytest.raises(ConfigurationError):
        check_endpoint("ftp://x")


def test_errors_pickle_with_their_fields():
    import pickle

    err = TransientServiceError("boom", service="mrs", status_code=503, error_code="E", request_id="r")
    clone = pickle.loads(pickle.dumps(err))
    assert (clone.status_code, clone.error_code, clone.request_id, clone.retryable) == (503, "E", "r", True)


def retry_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if "retrying in" in record.getMessage()]


@responses.activate
def test_without_retry_after_the_wait_doubles_from_initial_wait_up_to_max_wait(caplog):
    for _ in range(5):
        responses.post(URL, status=503, json={"error_code": "SVC.0503", "error_msg": "busy"})
    policy = RetryPolicy(max_attempts=5, initial_wait=0.02, max_wait=0.07, jitter=0.0)
    with (
        caplog.at_level(logging.WARNING, logger="airflow_provider_jobcleanup.transport"),
        pytest.raises(TransientServiceError) as caught,
    ):
        ApiTransport("svc", retry=policy).request("POST", URL + "?token=secret")
    lines = retry_lines(caplog)
    assert [re.search(r"retrying in (\S+)s$", line).group(1) for line in lines] == ["0.02", "0.04", "0.07", "0.07"]
    # each line names the call (host and path only), the attempt and the error it retries
    error = str(caught.value)
    assert "SVC.0503" in error and "busy" in error
    assert lines[0] == f"svc: POST svc.example.test/v1/jobs attempt 1/5 failed ({error}); retrying in 0.02s"
    assert all(f"failed ({error});" in line and "secret" not in line for line in lines)


@responses.activate
def test_jitter_adds_at_most_its_own_seconds_to_each_wait(caplog):
    for _ in range(4):
        responses.post(URL, status=503)
    policy = RetryPolicy(max_attempts=4, initial_wait=0.01, max_wait=1.0, jitter=0.05)
    with (
        caplog.at_level(logging.WARNING, logger="airflow_provider_jobcleanup.transport"),
        pytest.raises(TransientServiceError),
    ):
        ApiTransport("svc", retry=policy).request("POST", URL)
    waits = [float(re.search(r"retrying in (\S+)s$", line).group(1)) for line in retry_lines(caplog)]
    assert len(waits) == 3
    for attempt, wait in enumerate(waits):
        assert 0.01 * 2**attempt <= wait <= 0.01 * 2**attempt + 0.05 + 0.005, waits  # + rounding to 0.01


@responses.activate
def test_retry_after_wins_over_the_backoff_and_is_capped(caplog):
    responses.post(URL, status=429, headers={"Retry-After": "30"})
    responses.post(URL, status=429, headers={"Retry-After": "0.03"})
    responses.post(URL, json={"ok": True})
    policy = RetryPolicy(max_attempts=3, initial_wait=5.0, max_wait=5.0, jitter=0.0, max_retry_after=0.05)
    with caplog.at_level(logging.WARNING, logger="airflow_provider_jobcleanup.transport"):
        assert ApiTransport("svc", retry=policy).request("POST", URL).json() == {"ok": True}
    assert [re.search(r"retrying in (\S+)s$", line).group(1) for line in retry_lines(caplog)] == ["0.05", "0.03"]
