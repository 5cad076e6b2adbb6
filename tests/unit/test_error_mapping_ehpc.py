"""E-HPC's answer -> error mapping (:meth:`EhpcHook.parse_error`), pinned exactly for every branch and
boundary: class (exact), message, status, code, request id and retry delay. Answers are built in memory;
the hook reads no connection to map an answer."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_jobcleanup.exceptions import (
    ApiError,
    AuthenticationError,
    ClockSkewError,
    EndpointNotFoundError,
    NotFoundError,
    PermissionDeniedError,
    ThrottledError,
    TransientServiceError,
    UnexpectedAnswerError,
)
from airflow_provider_jobcleanup.hooks.alibaba_ehpc import AUTH_CODE_PREFIXES, PERMISSION_CODES, EhpcHook
from tests.unit import error_mapping
from tests.unit.error_mapping import NO_ROUTE, Row, answer, check_row, row_id


def clock(message: str) -> str:
    return (
        f"E-HPC refused the request time ({message}): this machine's clock is off; synchronize the machine "
        "clock (NTP) of the worker that runs the task"
    )


def auth(message: str) -> str:
    return (
        f"E-HPC rejected the request signature or AccessKey ({message}); check the connection's AccessKey "
        "ID/Secret, STS token and the machine clock"
    )


def no_code(status: int, message: str) -> str:
    return f"an answer of HTTP {status} without an E-HPC error code ({message}); nothing is taken as done from it"


def coded(code: str) -> dict[str, str]:
    """An E-HPC error body: ``Code``, ``Message`` "m" and ``RequestId`` "R1"."""
    return error_mapping.coded(code, key="Code", request_id="R1")


@pytest.fixture(scope="module")
def hook() -> EhpcHook:
    return EhpcHook("any_conn_id")


# (status, body, headers, class, message, error code, request id, retry_after)
ERRORS: list[Row] = [
    # the clock: its own class and the text the user sees; no retry delay even with a header
    (400, coded("InvalidTimeStamp.Expired"), {"Retry-After": "5"}, ClockSkewError, clock("m"),
     "InvalidTimeStamp.Expired", "R1", None),
    (400, coded("RequestTimeTooSkewed"), {}, ClockSkewError, clock("m"), "RequestTimeTooSkewed", "R1", None),
    (403, coded("RequestTimeTooSkewed.Expired"), {}, ClockSkewError, clock("m"), "RequestTimeTooSkewed.Expired",
     "R1", None),
    # another InvalidTimeStamp code is a signature problem, not the clock
    (400, coded("InvalidTimeStamp.Format"), {}, AuthenticationError, auth("m"), "InvalidTimeStamp.Format", "R1",
     None),
    (404, coded("InvalidAccessKeyId.NotFound"), {}, AuthenticationError, auth("m"), "InvalidAccessKeyId.NotFound",
     "R1", None),
    (403, coded("Forbidden.RAM"), {}, PermissionDeniedError, "not allowed: m", "Forbidden.RAM", "R1", None),
    # the job's own not-found code, whatever the status
    (400, coded("JobNotFound"), {}, NotFoundError, "job not found: m", "JobNotFound", "R1", None),
    (404, coded("JobNotFound"), {}, NotFoundError, "job not found: m", "JobNotFound", "R1", None),
    (500, coded("JobNotFound"), {"Retry-After": "2"}, NotFoundError, "job not found: m", "JobNotFound", "R1", None),
    # a code that only starts like it is unknown: a failure, never "not found"
    (400, coded("JobNotFound.Task"), {}, ApiError, "m", "JobNotFound.Task", "R1", None),
    (400, coded("jobnotfound"), {}, ApiError, "m", "jobnotfound", "R1", None),
    # throttling: by code, by 429, or by x-acs-retry-after (milliseconds, preferred to Retry-After seconds)
    (400, coded("Throttling.User"), {}, ThrottledError, "throttled: m", "Throttling.User", "R1", None),
    (400, coded("Throttling"), {"Retry-After": "3"}, ThrottledError, "throttled: m", "Throttling", "R1", 3.0),
    (429, {}, {"x-acs-request-id": "H1"}, ThrottledError, "throttled: Reason", None, "H1", None),
    (429, coded("Foo"), {"Retry-After": "9"}, ThrottledError, "throttled: m", "Foo", "R1", 9.0),
    (429, coded("Foo"), {"x-acs-retry-after": "1500", "Retry-After": "9"}, ThrottledError, "throttled: m", "Foo",
     "R1", 1.5),
    (429, coded("Foo"), {"x-acs-retry-after": "later", "Retry-After": "4"}, ThrottledError, "throttled: m", "Foo",
     "R1", 4.0),
    (429, coded("Foo"), {"x-acs-retry-after": "-20"}, ThrottledError, "throttled: m", "Foo", "R1", 0.0),
    (400, coded("InvalidParams"), {"x-acs-retry-after": "250"}, ThrottledError, "throttled: m", "InvalidParams",
     "R1", 0.25),
    # 430 is not 429: without a code it is an answer not understood, with one it is that code's failure
    (430, {}, {}, UnexpectedAnswerError, no_code(430, "Reason"), None, None, None),
    (430, coded("Foo"), {}, ApiError, "m", "Foo", "R1", None),
    # outages: the transient codes and any status >= 500 (the code does not matter); 499 is not one
    (400, coded("DbError"), {"Retry-After": "6"}, TransientServiceError, "m", "DbError", "R1", 6.0),
    (400, coded("ServiceUnavailable"), {}, TransientServiceError, "m", "ServiceUnavailable", "R1", None),
    (400, coded("InternalError"), {}, TransientServiceError, "m", "InternalError", "R1", None),
    (400, coded("ServiceTimeout"), {"x-acs-retry-after": "2000"}, ThrottledError, "throttled: m", "ServiceTimeout",
     "R1", 2.0),
    (400, coded("ServiceTimeout"), {}, TransientServiceError, "m", "ServiceTimeout", "R1", None),
    (500, coded("InvalidParams"), {"Retry-After": "1"}, TransientServiceError, "m", "InvalidParams", "R1", 1.0),
    (500, {}, {}, TransientServiceError, "Reason", None, None, None),
    (501, b"<html>oops</html>", {"x-acs-request-id": "H2"}, TransientServiceError, "Reason", None, "H2", None),
    (499, {}, {"Retry-After": "1"}, UnexpectedAnswerError, no_code(499, "Reason"), None, None, None),
    (499, coded("Foo"), {}, ApiError, "m", "Foo", "R1", None),
    # 404 without the job's code is a wrong endpoint (whatever other code it has), never "the job is gone"
    (404, {}, {"Retry-After": "2"}, EndpointNotFoundError, NO_ROUTE + "Reason", None, None, 2.0),
    (404, coded("Foo"), {}, EndpointNotFoundError, "m", "Foo", "R1", None),
    (404, coded("InvalidParams"), {}, EndpointNotFoundError, "m", "InvalidParams", "R1", None),
    # 401/403 without a code: the status decides; with a code, the code does
    (401, {}, {}, AuthenticationError, "Reason", None, None, None),
    (403, b"", {}, PermissionDeniedError, "Reason", None, None, None),
    (401, coded("Foo"), {}, AuthenticationError, "m", "Foo", "R1", None),  # refused, whatever the code
    (403, coded("Foo"), {}, PermissionDeniedError, "m", "Foo", "R1", None),
    (402, {}, {}, UnexpectedAnswerError, no_code(402, "Reason"), None, None, None),
    # a parameter refused, and any other code
    (400, coded("InvalidParams"), {}, ApiError, "E-HPC rejected a parameter: m", "InvalidParams", "R1", None),
    (400, coded("InvalidParams.JobSpec"), {}, ApiError, "m", "InvalidParams.JobSpec", "R1", None),
    (400, coded("Something.Else"), {}, ApiError, "m", "Something.Else", "R1", None),
    (400, {}, {}, UnexpectedAnswerError, no_code(400, "Reason"), None, None, None),
    # a 2xx carrying an error: Success false, or a Code that is not a success code
    (200, {"Success": False, "RequestId": "R2"}, {}, UnexpectedAnswerError, no_code(200, "Reason"), None, "R2",
     None),
    (200, {"Success": False, "Code": "JobNotFound", "Message": "m"}, {}, NotFoundError, "job not found: m",
     "JobNotFound", None, None),
    (200, {"Success": True, "Code": "JobNotFound", "Message": "m"}, {}, NotFoundError, "job not found: m",
     "JobNotFound", None, None),
    (200, {"Success": False, "Code": "OK"}, {}, ApiError, "Reason", "OK", None, None),
    (200, coded("InvalidParams"), {}, ApiError, "E-HPC rejected a parameter: m", "InvalidParams", "R1", None),
    (200, coded("Weird"), {}, ApiError, "m", "Weird", "R1", None),
    (200, {"Code": "ok"}, {}, ApiError, "Reason", "ok", None, None),
    (202, coded("Throttling.Api"), {}, ThrottledError, "throttled: m", "Throttling.Api", "R1", None),
]


@pytest.mark.parametrize("row", ERRORS, ids=row_id)
def test_error_answer(hook: EhpcHook, row: Row) -> None:
    check_row(hook.parse_error, "ehpc", row)


@pytest.mark.parametrize("prefix", AUTH_CODE_PREFIXES)
def test_every_auth_code_is_authentication(hook: EhpcHook, prefix: str) -> None:
    code = prefix + ".Something" if prefix != "InvalidTimeStamp" else prefix + ".Format"
    err = hook.parse_error(answer(400, coded(code)))
    assert type(err) is AuthenticationError
    assert (err.message, err.error_code, err.request_id, err.retry_after) == (auth("m"), code, "R1", None)


@pytest.mark.parametrize("code", PERMISSION_CODES)
def test_every_permission_code_is_permission_denied(hook: EhpcHook, code: str) -> None:
    err = hook.parse_error(answer(400, coded(code)))
    assert type(err) is PermissionDeniedError
    assert (err.message, err.error_code, err.request_id) == ("not allowed: m", code, "R1")


@pytest.mark.parametrize(
    "body",
    [
        {"RequestId": "R"},
        {"RequestId": "R", "Code": "OK"},
        {"Code": "200"},
        {"Code": 200},
        {"Code": "Success", "Success": True},
        {"Code": ""},
        {"Success": True},
        [],
        b"",
        b"not json",
    ],
)
@pytest.mark.parametrize("status", [200, 202, 204, 299])
def test_success_answer(hook: EhpcHook, status: int, body: Any) -> None:
    assert hook.parse_error(answer(status, body)) is None


def test_rendered_text(hook: EhpcHook) -> None:
    err = hook.parse_error(answer(400, coded("RequestTimeTooSkewed")))
    assert str(err) == f"[ehpc] {clock('m')} (HTTP 400, code RequestTimeTooSkewed, request id R1)"
    err = hook.parse_error(answer(400, coded("JobNotFound")))
    assert str(err) == "[ehpc] job not found: m (HTTP 400, code JobNotFound, request id R1)"
