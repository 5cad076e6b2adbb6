"""E-HPC error answers to typed errors (no network: answers built in memory), and answer time parsing."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import requests
from airflow.sdk import Connection

from airflow_provider_jobcleanup.exceptions import (
    ApiError,
    AuthenticationError,
    ClockSkewError,
    ConfigurationError,
    EndpointNotFoundError,
    NotFoundError,
    PermissionDeniedError,
    ThrottledError,
    TransientServiceError,
    UnexpectedAnswerError,
)
from airflow_provider_jobcleanup.hooks.alibaba_ehpc import EhpcHook, parse_time


def answer(status: int, code: str, headers: dict[str, str] | None = None) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = json.dumps(
        {"RequestId": "RID-1", "Code": code, "Message": f"{code} happened"}
    ).encode()
    response.headers.update(headers or {})
    return response


@pytest.fixture
def hook() -> EhpcHook:
    connection = Connection(
        conn_id="c", conn_type="alibaba_ehpc", login="ak", password="sk-secret", extra="{}"
    )
    return EhpcHook("c", connection=connection)


@pytest.mark.parametrize(
    ("status", "code", "cls", "retryable"),
    [
        (400, "SignatureDoesNotMatch", AuthenticationError, False),
        (404, "InvalidAccessKeyId.NotFound", AuthenticationError, False),
        (400, "InvalidTimeStamp.Expired", ClockSkewError, False),
        (400, "RequestTimeTooSkewed", ClockSkewError, False),
        (400, "InvalidTimeStamp.Format", AuthenticationError, False),
        (403, "Forbidden.RAM", PermissionDeniedError, False),
        (407, "NotAuthorized", PermissionDeniedError, False),
        (400, "JobNotFound", NotFoundError, False),
        (400, "InvalidParams", ApiError, False),
        (400, "Throttling.User", ThrottledError, True),
        (429, "Throttling.Api", ThrottledError, True),
        (406, "DbError", TransientServiceError, True),
        (503, "ServiceUnavailable", TransientServiceError, True),
        (500, "InternalError", TransientServiceError, True),
    ],
)
def test_codes_map_to_typed_errors(hook, status, code, cls, retryable):
    error = hook.parse_error(answer(status, code))
    assert type(error) is cls
    assert error is not None and error.retryable is retryable
    assert error.error_code == code and error.request_id == "RID-1" and error.status_code == status


def test_x_acs_retry_after_is_milliseconds_and_marks_any_error_retryable(hook):
    error = hook.parse_error(answer(400, "SomethingElse", {"x-acs-retry-after": "1500"}))
    assert isinstance(error, ThrottledError) and error.retry_after == 1.5
    # the SDK's header wins over a Retry-After in seconds
    error = hook.parse_error(answer(400, "Throttling", {"x-acs-retry-after": "250", "Retry-After": "9"}))
    assert error is not None and error.retry_after == 0.25


def test_success_is_not_an_error(hook):
    assert hook.parse_error(answer(200, "")) is None


def test_endpoint_defaults_to_the_regional_host_and_refuses_plain_http(hook):
    hook.extras.update(region="cn-shanghai")
    assert hook.endpoint == "https://ehpcinstant.cn-shanghai.aliyuncs.com"
    remote = Connection(
        conn_id="r",
        conn_type="alibaba_ehpc",
        login="ak",
        password="sk",
        extra=json.dumps({"endpoint": "http://ehpcinstant.cn-shanghai.aliyuncs.com"}),
    )
    with pytest.raises(ConfigurationError, match="plain http"):
        _ = EhpcHook("r", connection=remote).endpoint


def test_answer_times():
    utc8 = timezone(timedelta(hours=8))
    expected = datetime(2024, 2, 20, 2, 4, 10, tzinfo=timezone.utc)
    assert parse_time("2024-02-20 10:04:10", utc8) == expected
    assert parse_time("2024-02-20T02:04:10Z", utc8) == expected
    assert parse_time(str(int(expected.timestamp())), utc8) == expected
    assert parse_time(str(int(expected.timestamp() * 1000)), utc8) == expected
    assert parse_time("", utc8) is None and parse_time("yesterday", utc8) is None


def raw_answer(status: int, body: bytes, content_type: str = "application/json") -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body
    response.headers["Content-Type"] = content_type
    return response


def test_a_success_status_carrying_an_error_code_is_that_error(hook):
    error = hook.parse_error(answer(200, "JobNotFound"))
    assert isinstance(error, NotFoundError) and error.status_code == 200
    error = hook.parse_error(raw_answer(200, b'{"RequestId": "R", "Success": false}'))
    assert error is not None and not isinstance(error, NotFoundError)
    assert hook.parse_error(raw_answer(200, b'{"RequestId": "R", "Code": "200", "Success": true}')) is None


def test_a_404_without_a_job_code_is_a_wrong_endpoint_never_a_missing_job(hook):
    for response in (raw_answer(404, b"<html>nginx</html>", "text/html"), answer(404, "InvalidAction.NotFound")):
        error = hook.parse_error(response)
        assert type(error) is EndpointNotFoundError and error.stops_run


def test_an_unknown_code_is_never_not_found_and_an_error_without_code_is_not_understood(hook):
    error = hook.parse_error(answer(400, "Job.Missing"))
    assert type(error) is ApiError and not error.stops_run
    error = hook.parse_error(raw_answer(400, b"<html>bad gateway page</html>", "text/html"))
    assert isinstance(error, UnexpectedAnswerError) and error.stops_run
