"""SCNet's answer -> error mapping (:func:`scnet_protocol.error_parser`) pinned exactly: HTTP status first,
then the body ``code`` of a 2xx. Class (exact), message, status, code, request id and retry delay. Answers
are built in memory; nothing is sent."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_jobcleanup.exceptions import (
    ApiError,
    AuthenticationError,
    EndpointNotFoundError,
    PermissionDeniedError,
    ThrottledError,
    TransientServiceError,
    UnexpectedAnswerError,
)
from airflow_provider_jobcleanup.hooks.scnet_protocol import error_parser
from tests.unit.error_mapping import NO_ROUTE, Row, answer, check_row, row_id

FROZEN = "SCNet user 'alice' is frozen (m); ask the SCNet administrator to unfreeze the account. Not retried."
NOT_OBJECT = "/hpc/openapi/v2/jobs: unexpected answer (not a JSON object); nothing is taken as done from it"
URL = "http://127.0.0.1:1/hpc/openapi/v2/jobs?strJobInfoMap=1"


# (status, body, headers, class, message, error code, request id, retry_after)
ERRORS: list[Row] = [
    # the HTTP status decides first, whatever the body code
    (401, {"code": "0", "msg": "m"}, {}, AuthenticationError, "m", "0", None, None),
    (403, {"code": "10008", "msg": "m"}, {}, PermissionDeniedError, "m", "10008", None, None),
    (404, {}, {}, EndpointNotFoundError, NO_ROUTE + "Reason", None, None, None),
    (429, {"msg": "m"}, {"Retry-After": "3", "X-Request-Id": "h"}, ThrottledError, "m", None, "h", 3.0),
    (499, b"<html/>", {}, ApiError, "Reason", None, None, None),
    (500, b"", {"Retry-After": "1"}, TransientServiceError, "Reason", None, None, 1.0),
    # a 2xx: the body code
    (200, {"code": "10008", "msg": "m"}, {}, AuthenticationError, "token rejected or permission denied: m", "10008",
     None, None),
    (200, {"code": 10008, "message": "m"}, {}, AuthenticationError, "token rejected or permission denied: m",
     "10008", None, None),
    (200, {"code": "10007", "msg": "m"}, {}, PermissionDeniedError, FROZEN, "10007", None, None),
    (200, {"code": "10009", "msg": "m"}, {}, PermissionDeniedError, "user 'alice' may not call this API: m",
     "10009", None, None),
    (200, {"code": "10001", "msg": "m"}, {"Retry-After": "9"}, TransientServiceError, "m", "10001", None, None),
    (200, {"code": "10012", "msg": "m"}, {}, TransientServiceError, "m", "10012", None, None),
    (200, {"code": "10013", "msg": "m"}, {}, TransientServiceError, "m", "10013", None, None),
    (202, {"code": "10002", "msg": "m", "message": "other"}, {}, ApiError, "m", "10002", None, None),
    (200, {"code": "10002", "message": "other"}, {}, ApiError, "other", "10002", None, None),
    (200, {"code": "10002", "msg": ""}, {}, ApiError, "error", "10002", None, None),
    # a code that is not "0" is a failure, never a success (a missing code counts as "0")
    (200, {"code": None, "msg": "m"}, {}, ApiError, "m", "None", None, None),
    (200, {"code": "00", "msg": "m"}, {}, ApiError, "m", "00", None, None),
    (200, {"code": 1}, {}, ApiError, "error", "1", None, None),
    # a 2xx that is not a JSON object is not understood; it names the call's path
    (200, b"", {"X-Request-Id": "h"}, UnexpectedAnswerError, NOT_OBJECT, None, "h", None),
    (200, b"<html>login</html>", {}, UnexpectedAnswerError, NOT_OBJECT, None, None, None),
    (200, [{"code": "0"}], {"x-acs-request-id": "a"}, UnexpectedAnswerError, NOT_OBJECT, None, "a", None),
    (200, "0", {}, UnexpectedAnswerError, NOT_OBJECT, None, None, None),
]


@pytest.mark.parametrize("row", ERRORS, ids=row_id)
def test_error_answer(row: Row) -> None:
    check_row(error_parser("alice"), "scnet", row, url=URL)


@pytest.mark.parametrize("body", [{"code": "0", "msg": "success"}, {"code": 0}, {}, {"data": []}])
@pytest.mark.parametrize("status", [200, 202, 299])
def test_success_answer(status: int, body: Any) -> None:
    assert error_parser("alice")(answer(status, body, url=URL)) is None


def test_rendered_text() -> None:
    err = error_parser("bob")(answer(200, {"code": "10009", "msg": "no access"}, url=URL))
    assert str(err) == "[scnet] user 'bob' may not call this API: no access (HTTP 200, code 10009)"
