"""The shared answer -> error functions of :mod:`answers`, pinned exactly: class, message, status, code,
request id and retry delay for each shape and status (answers built in memory, nothing is sent)."""

from __future__ import annotations

import email.utils
import time
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any

import pytest

from airflow_provider_jobcleanup.answers import (
    Answer,
    AnswerModel,
    error_fields,
    error_from_status,
    expect_empty_or_json,
    parse_answer,
    parse_retry_after,
    read_json,
    unexpected,
)
from airflow_provider_jobcleanup.exceptions import (
    ApiError,
    AuthenticationError,
    EndpointNotFoundError,
    PermissionDeniedError,
    ThrottledError,
    TransientServiceError,
    UnexpectedAnswerError,
)
from tests.unit.error_mapping import NO_ROUTE, Row, answer, check_row, row_id


# ----------------------------------------------------------------- error_fields
@pytest.mark.parametrize(
    ("body", "headers", "reason", "expected"),
    [
        # each documented shape
        ({"error_code": "DLI.16001", "error_msg": "gone"}, {}, "", ("DLI.16001", "gone", None)),
        ({"errorCode": "12000003", "errorMsg": "no cluster"}, {}, "", ("12000003", "no cluster", None)),
        ({"code": "X", "message": "m"}, {}, "", ("X", "m", None)),
        ({"Code": "JobNotFound", "Message": "M", "RequestId": "R1"}, {}, "", ("JobNotFound", "M", "R1")),
        ({"error": {"code": 401, "message": "token bad", "title": "Unauthorized"}}, {}, "", ("401", "token bad", None)),
        ({"code": 10008, "msg": "perm"}, {}, "", ("10008", "perm", None)),
        ({"request_id": "r-low"}, {}, "Bad", (None, "Bad", "r-low")),
        # precedence of the code keys: error_code, errorCode, Code, code
        ({"error_code": "A", "errorCode": "B", "Code": "C", "code": "D"}, {}, "", ("A", "error", None)),
        ({"errorCode": "B", "Code": "C", "code": "D"}, {}, "", ("B", "error", None)),
        ({"Code": "C", "code": "D"}, {}, "", ("C", "error", None)),
        ({"error_code": "", "code": "D"}, {}, "", ("D", "error", None)),
        ({"code": 0}, {}, "", ("0", "error", None)),
        # precedence of the message keys: error_msg, errorMsg, Message, message, msg
        ({"error_msg": "1", "errorMsg": "2", "Message": "3", "message": "4", "msg": "5"}, {}, "", (None, "1", None)),
        ({"errorMsg": "2", "Message": "3", "message": "4", "msg": "5"}, {}, "", (None, "2", None)),
        ({"Message": "3", "message": "4", "msg": "5"}, {}, "", (None, "3", None)),
        ({"message": "4", "msg": "5"}, {}, "", (None, "4", None)),
        ({"msg": "5"}, {}, "", (None, "5", None)),
        ({"message": {"detail": 1}}, {}, "", (None, "{'detail': 1}", None)),
        ({"message": ""}, {}, "Teapot", (None, "Teapot", None)),
        # request id: body RequestId, body request_id, X-Request-Id, x-acs-request-id
        ({"RequestId": "b1", "request_id": "b2"}, {"X-Request-Id": "h1"}, "", (None, "error", "b1")),
        ({"request_id": 7}, {"X-Request-Id": "h1"}, "", (None, "error", "7")),
        ({}, {"X-Request-Id": "h1", "x-acs-request-id": "h2"}, "", (None, "error", "h1")),
        ({}, {"x-acs-request-id": "h2"}, "", (None, "error", "h2")),
        ({}, {"x-request-id": "lower"}, "", (None, "error", "lower")),
        # not a JSON object: the reason, else "error"; the header id still counts
        (None, {"X-Request-Id": "h1"}, "Service Unavailable", (None, "Service Unavailable", "h1")),
        ([1, 2], {}, "", (None, "error", None)),
        ({"error": "flat string"}, {}, "", (None, "error", None)),
    ],
)
def test_error_fields(body: Any, headers: dict[str, str], reason: str, expected: tuple[Any, ...]) -> None:
    assert error_fields(answer(400, body, headers, reason=reason)) == expected


def test_error_fields_of_a_body_that_is_not_json() -> None:
    assert error_fields(answer(502, b"<html>bad gateway</html>", reason="Bad Gateway")) == (
        None,
        "Bad Gateway",
        None,
    )


# ----------------------------------------------------------------- error_from_status
BODY = {"error_code": "E.1", "error_msg": "it failed", "request_id": "rid-9"}


def from_status(status: int, cls: type[ApiError]) -> Row:
    """An answer with ``BODY`` and a Retry-After of 7 s: the status picks the class, the body gives the rest."""
    return (status, BODY, {"Retry-After": "7"}, cls, "it failed", "E.1", "rid-9", 7.0)


@pytest.mark.parametrize(
    "row",
    [
        from_status(400, ApiError),
        from_status(401, AuthenticationError),
        from_status(402, ApiError),
        from_status(403, PermissionDeniedError),
        from_status(404, EndpointNotFoundError),  # the service's own code: its hook decides
        from_status(405, ApiError),
        from_status(428, ApiError),
        from_status(429, ThrottledError),
        from_status(430, ApiError),
        from_status(499, ApiError),
        from_status(500, TransientServiceError),
        from_status(501, TransientServiceError),
        from_status(503, TransientServiceError),
        from_status(599, TransientServiceError),
        from_status(302, ApiError),
        from_status(200, ApiError),
    ],
    ids=row_id,
)
def test_error_from_status(row: Row) -> None:
    check_row(partial(error_from_status, "svc"), "svc", row)


def test_error_from_status_renders_every_field_and_the_prefix() -> None:
    err = error_from_status("mrs", answer(404, BODY), message_prefix="cleanup: ")
    assert type(err) is EndpointNotFoundError
    assert err.message == "cleanup: it failed"
    assert str(err) == "[mrs] cleanup: it failed (HTTP 404, code E.1, request id rid-9)"
    assert err.retry_after is None


def test_a_404_without_a_code_says_the_route_may_be_wrong() -> None:
    err = error_from_status("mrs", answer(404, {"message": "no route"}))
    assert type(err) is EndpointNotFoundError
    assert err.message == NO_ROUTE + "no route" and err.error_code is None


def test_error_from_status_without_a_body() -> None:
    err = error_from_status("dli", answer(503, None, {"x-acs-request-id": "a1"}, reason="Service Unavailable"))
    assert type(err) is TransientServiceError
    assert str(err) == "[dli] Service Unavailable (HTTP 503, request id a1)"
    assert (err.error_code, err.request_id, err.retry_after) == (None, "a1", None)


# ----------------------------------------------------------------- unexpected
def unexpected_delete(answer: Answer) -> ApiError:
    return unexpected(answer, "ehpc", "DeleteJobs", "empty body")


def unexpected_row(headers: dict[str, str], request_id: str | None) -> Row:
    """A 202 whose body has a ``RequestId``: only the headers give the error's request id."""
    message = "DeleteJobs: unexpected answer (empty body); nothing is taken as done from it"
    return (202, {"RequestId": "body-id"}, headers, UnexpectedAnswerError, message, None, request_id, None)


@pytest.mark.parametrize(
    "row",
    [
        unexpected_row({"X-Request-Id": "x1", "x-acs-request-id": "a1"}, "x1"),
        unexpected_row({"x-acs-request-id": "a1"}, "a1"),
        unexpected_row({"X-Request-Id": "", "x-acs-request-id": "a1"}, "a1"),
        unexpected_row({}, None),
    ],
    ids=row_id,
)
def test_unexpected(row: Row) -> None:
    check_row(unexpected_delete, "ehpc", row)


# ----------------------------------------------------------------- expect_empty_or_json
@pytest.mark.parametrize(
    ("raw", "content_type", "expected"),
    [
        (b"", None, None),
        (b"  \r\n", "text/html", None),
        (b'{"a": 1}', "application/json", {"a": 1}),
        (b"[1]", "Application/JSON; charset=utf-8", [1]),
        (b'{"title": "t"}', "application/problem+json", {"title": "t"}),
    ],
)
def test_expect_empty_or_json_accepts(raw: bytes, content_type: str | None, expected: Any) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    assert expect_empty_or_json(answer(200, raw, headers), "mrs", "batch delete") == expected


@pytest.mark.parametrize(
    ("raw", "content_type", "problem"),
    [
        (b"<html>ok</html>", "text/html", "content type 'text/html', not JSON"),
        (b'{"a": 1}', None, "content type 'missing', not JSON"),
        (b'{"a": 1}', "text/plain; charset=utf-8", "content type 'text/plain', not JSON"),
        (b'{"a": ', "application/json", "body is not valid JSON (6 bytes)"),
    ],
)
def test_expect_empty_or_json_refuses(raw: bytes, content_type: str | None, problem: str) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    with pytest.raises(UnexpectedAnswerError) as caught:
        expect_empty_or_json(answer(200, raw, {**headers, "X-Request-Id": "q"}), "mrs", "batch delete")
    err = caught.value
    assert type(err) is UnexpectedAnswerError
    assert err.message == f"batch delete: unexpected answer ({problem}); nothing is taken as done from it"
    assert str(err) == f"[mrs] {err.message} (HTTP 200, request id q)"
    assert (err.service, err.status_code, err.request_id) == ("mrs", 200, "q")


# ----------------------------------------------------------------- read_json
@pytest.mark.parametrize(
    ("raw", "content_type", "problem"),
    [
        (b"", "application/json", "empty body"),
        (b" \r\n\t", "application/json", "empty body"),
        (b"", None, "empty body"),
        (b"<html>ok</html>", "text/html", "content type 'text/html', not JSON"),
        (b'{"a": 1}', None, "content type 'missing', not JSON"),
        (b'{"a": 1}', "", "content type 'missing', not JSON"),
        (b'{"a": 1}', "application/jsonp", "content type 'application/jsonp', not JSON"),
        (b'{"a": ', "application/json", "body is not valid JSON (6 bytes)"),
        (b"\xff\xfe", "application/json", "body is not valid JSON (2 bytes)"),
    ],
)
def test_read_json_refuses(raw: bytes, content_type: str | None, problem: str) -> None:
    headers = {"Content-Type": content_type} if content_type is not None else {}
    with pytest.raises(UnexpectedAnswerError) as caught:
        read_json(answer(200, raw, {**headers, "X-Request-Id": "q"}), "res", "job detail")
    err = caught.value
    assert type(err) is UnexpectedAnswerError
    assert (
        str(err)
        == f"[res] job detail: unexpected answer ({problem}); nothing is taken as done from it (HTTP 200, request id q)"
    )


@pytest.mark.parametrize(
    ("raw", "content_type", "expected"),
    [
        (b'{"a": 1}', "application/json", {"a": 1}),
        (b" [1] ", "APPLICATION/JSON ; charset=utf-8", [1]),
        (b"null", "application/vnd.api+json", None),
    ],
)
def test_read_json_accepts(raw: bytes, content_type: str, expected: Any) -> None:
    assert read_json(answer(200, raw, {"Content-Type": content_type}), "res", "job detail") == expected


# ----------------------------------------------------------------- parse_retry_after
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("0", 0.0),
        ("5", 5.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # a date in the past: no wait
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_future_http_date() -> None:
    when = datetime.now(timezone.utc) + timedelta(seconds=120)
    before = time.time()
    seconds = parse_retry_after(email.utils.format_datetime(when, usegmt=True))
    elapsed = time.time() - before
    assert seconds is not None
    # the header has whole seconds: up to 1 s lost to truncation, plus the time the call took
    assert 119.0 - elapsed <= seconds <= 120.0


def test_a_validation_error_names_where_and_what_never_the_value() -> None:
    from airflow_provider_jobcleanup.answers import AnswerModel, validate

    class Row(AnswerModel):
        job_id: str

    class Listing(AnswerModel):
        rows: list[Row]

    with pytest.raises(UnexpectedAnswerError) as caught:
        validate({"rows": [{"job_id": "a"}, {"job_id": 7}]}, Listing, answer(200, None), "mrs", "job list")
    assert "rows.1.job_id: Input should be a valid string" in caught.value.message
    assert "7" not in caught.value.message.replace("rows.1", "")
    with pytest.raises(UnexpectedAnswerError) as caught:
        validate(["not", "an", "object"], Listing, answer(200, None), "mrs", "job list")
    assert "body: Input should be a valid dictionary" in caught.value.message


class JobRow(AnswerModel):
    job_id: str


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"", "empty body"),
        (b'{"job_id": ', "body is not valid JSON (11 bytes)"),
        (b'{"job_id": 7}', "job_id: Input should be a valid string"),
        (b"[]", "body: Input should be a valid dictionary or instance of JobRow"),
    ],
)
def test_parse_answer_names_the_service_and_the_call_whatever_went_wrong(raw: bytes, problem: str) -> None:
    with pytest.raises(UnexpectedAnswerError) as caught:
        parse_answer(answer(200, raw, {"Content-Type": "application/json"}), JobRow, "dli", "job detail")
    err = caught.value
    assert str(err) == f"[dli] job detail: unexpected answer ({problem}); nothing is taken as done from it (HTTP 200)"
    assert err.service == "dli"


def test_parse_answer_returns_the_model() -> None:
    got = parse_answer(
        answer(200, b'{"job_id": "7", "extra": 1}', {"Content-Type": "application/json"}), JobRow, "dli", "job detail"
    )
    assert got == JobRow(job_id="7")


def test_a_validation_error_lists_its_first_problems_in_order_separated_by_semicolons() -> None:
    from airflow_provider_jobcleanup.answers import MAX_PROBLEMS, AnswerModel, validate

    class Row(AnswerModel):
        job_id: str

    class Listing(AnswerModel):
        rows: list[Row]

    body = {"rows": [{"job_id": index} for index in range(MAX_PROBLEMS + 2)]}  # seven wrong rows
    with pytest.raises(UnexpectedAnswerError) as caught:
        validate(body, Listing, answer(200, None), "mrs", "job list")
    problems = "; ".join(f"rows.{index}.job_id: Input should be a valid string" for index in range(MAX_PROBLEMS))
    assert caught.value.message == f"job list: unexpected answer ({problems}); nothing is taken as done from it"
