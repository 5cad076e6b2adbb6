"""Huawei Cloud's answer -> error mappings pinned exactly: the API gateway's (:meth:`HuaweiCloudHook.parse_error`)
and DLI's, MRS's and RES's own codes on top of it. Class (exact), message, status, code, request id and retry
delay for every branch. Answers are built in memory; no hook reads its connection to map an answer."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import partial
from typing import Any

import pytest

from airflow_provider_jobcleanup.exceptions import (
    ApiError,
    AuthenticationError,
    ClockSkewError,
    EndpointNotFoundError,
    JobBusyError,
    NotFoundError,
    PermissionDeniedError,
    ThrottledError,
    TransientServiceError,
)
from airflow_provider_jobcleanup.hooks.huawei_dli import DliHook
from airflow_provider_jobcleanup.hooks.huawei_mrs import MrsHook
from airflow_provider_jobcleanup.hooks.huawei_res import ResHook
from airflow_provider_jobcleanup.hooks.huaweicloud import HuaweiCloudHook
from tests.unit.error_mapping import NO_ROUTE, Row, answer, check_row, coded, row_id


@pytest.fixture(scope="module")
def dli() -> DliHook:
    return DliHook("any_conn_id")


@pytest.fixture(scope="module")
def mrs() -> MrsHook:
    return MrsHook("any_conn_id")


@pytest.fixture(scope="module")
def res() -> ResHook:
    return ResHook("any_conn_id")


SUCCESSES = [{}, {"error_code": ""}, {"errorCode": None}, {"is_success": True}, [], b"", b"<html>ok</html>"]


# ----------------------------------------------------------------- the API gateway (shared)
GATEWAY: list[Row] = [
    (200, coded("X.1"), {"X-Request-Id": "h"}, ApiError, "m", "X.1", "h", None),
    (200, {"errorCode": "X.2"}, {}, ApiError, "Reason", "X.2", None, None),
    (401, coded("APIGW.0301"), {}, AuthenticationError, "m", "APIGW.0301", None, None),
    (400, coded("APIGW.0302"), {}, AuthenticationError, "m", "APIGW.0302", None, None),
    (400, coded("APIGW.0399"), {"Retry-After": "1"}, AuthenticationError, "m", "APIGW.0399", None, 1.0),
    (429, coded("APIGW.0308"), {"Retry-After": "3"}, ThrottledError, "m", "APIGW.0308", None, 3.0),
    (400, coded("APIGW.0308"), {"Retry-After": "4"}, ThrottledError, "m", "APIGW.0308", None, 4.0),
    (200, coded("APIGW.0308"), {}, ThrottledError, "m", "APIGW.0308", None, None),
    (400, coded("APIGW.0400"), {}, ApiError, "m", "APIGW.0400", None, None),
    (400, coded("APIG.0301"), {}, ApiError, "m", "APIG.0301", None, None),
    (401, {}, {}, AuthenticationError, "Reason", None, None, None),
    (403, {}, {}, PermissionDeniedError, "Reason", None, None, None),
    (404, {}, {}, EndpointNotFoundError, NO_ROUTE + "Reason", None, None, None),
    (429, {}, {}, ThrottledError, "Reason", None, None, None),
    (499, {}, {}, ApiError, "Reason", None, None, None),
    (500, b"<html/>", {"X-Request-Id": "h"}, TransientServiceError, "Reason", None, "h", None),
]


@pytest.mark.parametrize("row", GATEWAY, ids=row_id)
def test_gateway_error(dli: DliHook, row: Row) -> None:
    check_row(partial(HuaweiCloudHook.parse_error, dli), "dli", row)


@pytest.mark.parametrize("body", SUCCESSES)
@pytest.mark.parametrize("status", [200, 202, 204, 299])
def test_gateway_success(dli: DliHook, status: int, body: Any) -> None:
    assert HuaweiCloudHook.parse_error(dli, answer(status, body)) is None


@pytest.mark.parametrize(
    ("status", "body", "code", "refused"),
    [
        (400, coded("APIG.0201", "bad date"), "APIG.0201", "bad date"),
        (401, coded("APIGW.0201", "bad date"), "APIGW.0201", "bad date"),
        (200, coded("APIGW.0201", "bad date"), "APIGW.0201", "bad date"),
        (400, coded("APIGW.0199", "header X-Sdk-Date is too old"), "APIGW.0199", "header X-Sdk-Date is too old"),
        (403, {"message": "x-sdk-date expired"}, None, "x-sdk-date expired"),
    ],
)
@pytest.mark.parametrize("zone", ["UTC0", "CST-8"])  # the time shown is UTC whatever the machine's time zone
def test_gateway_clock_skew(
    dli: DliHook, status: int, body: Any, code: str | None, refused: str, zone: str, monkeypatch
) -> None:
    import time

    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        before = datetime.now(timezone.utc).replace(microsecond=0)
        err = HuaweiCloudHook.parse_error(dli, answer(status, body, {"X-Request-Id": "h", "Retry-After": "2"}))
        after = datetime.now(timezone.utc)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert type(err) is ClockSkewError
    match = re.fullmatch(
        rf"the request time was refused \({re.escape(refused)}\): this machine's clock is off; it reads "
        r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) UTC\. Synchronise it \(NTP\) and run again",
        err.message,
    )
    assert match, err.message
    shown = datetime.strptime(match.group(1), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    assert before <= shown <= after
    assert (err.service, err.status_code, err.error_code, err.request_id, err.retry_after) == (
        "dli",
        status,
        code,
        "h",
        2.0,
    )


# ----------------------------------------------------------------- DLI
DLI: list[Row] = [
    # a 2xx with is_success false: DLI's message, else error_msg, else a fixed text
    (200, {"is_success": False, "message": "m1", "error_msg": "m2", "error_code": "DLI.1"}, {"X-Request-Id": "h"},
     ApiError, "m1", "DLI.1", "h", None),
    (200, {"is_success": "false", "error_msg": "m2"}, {}, ApiError, "m2", None, None, None),
    (200, {"is_success": False}, {"x-acs-request-id": "not-huawei"}, ApiError, "is_success is false", None, None,
     None),
    (202, {"is_success": "FALSE", "message": ""}, {}, ApiError, "is_success is false", None, None, None),
    (200, {"is_success": None}, {}, ApiError, "is_success is false", None, None, None),
    (200, {"is_success": "yes"}, {}, ApiError, "is_success is false", None, None, None),
    # a 2xx is_success false is an error; its code then says what kind, as for any status
    (200, {"is_success": False, "error_code": "DLI.16001", "message": "m"}, {}, NotFoundError,
     "job does not exist: m", "DLI.16001", None, None),
    (200, {"is_success": False, "errorCode": "DLI.0999", "message": "m"}, {}, TransientServiceError, "m",
     "DLI.0999", None, None),
    # a 2xx carrying an error code is an error, even when it also says is_success
    (200, {"is_success": True, "error_code": "DLI.1", "message": "m"}, {}, ApiError, "m", "DLI.1", None, None),
    (200, {"error_code": "DLI.1", "error_msg": "m"}, {}, ApiError, "m", "DLI.1", None, None),
    # the job's not-found code, whatever the status
    (400, coded("DLI.16001"), {"X-Request-Id": "h"}, NotFoundError, "job does not exist: m", "DLI.16001", "h", None),
    (500, coded("DLI.16001"), {}, NotFoundError, "job does not exist: m", "DLI.16001", None, None),
    (400, coded("DLI.16001", key="errorCode"), {}, NotFoundError, "job does not exist: m", "DLI.16001", None, None),
    # the server error code is retried with its code, status, request id and delay
    (400, coded("DLI.0999"), {"X-Request-Id": "h", "Retry-After": "5"}, TransientServiceError, "m", "DLI.0999", "h",
     5.0),
    # unknown codes are failures, never "not found"
    (400, coded("DLI.16002"), {}, ApiError, "m", "DLI.16002", None, None),
    (400, coded("DLI.1600"), {}, ApiError, "m", "DLI.1600", None, None),
    (404, coded("DLI.0001"), {}, EndpointNotFoundError, "m", "DLI.0001", None, None),
    (404, {}, {}, EndpointNotFoundError, NO_ROUTE + "Reason", None, None, None),
    (400, {}, {}, ApiError, "Reason", None, None, None),
    (503, {}, {"Retry-After": "1"}, TransientServiceError, "Reason", None, None, 1.0),
    (429, coded("APIGW.0308"), {}, ThrottledError, "m", "APIGW.0308", None, None),
    (401, coded("APIGW.0301"), {}, AuthenticationError, "m", "APIGW.0301", None, None),
]


@pytest.mark.parametrize("row", DLI, ids=row_id)
def test_dli_error(dli: DliHook, row: Row) -> None:
    check_row(dli.parse_error, "dli", row)


@pytest.mark.parametrize(
    "body",
    [
        {"is_success": True, "message": "ok"},
        {"is_success": "true"},
        {"is_success": " TRUE "},
        [{"is_success": "false", "message": "per job"}],  # a delete's per-job list: read by the delete itself
        {},
        b"",
        b"not json",
    ],
)
@pytest.mark.parametrize("status", [200, 204, 299])
def test_dli_success(dli: DliHook, status: int, body: Any) -> None:
    assert dli.parse_error(answer(status, body)) is None


def test_dli_rendered_text(dli: DliHook) -> None:
    err = dli.parse_error(answer(400, coded("DLI.16001", "The job does not exist."), {"X-Request-Id": "h"}))
    assert str(err) == "[dli] job does not exist: The job does not exist. (HTTP 400, code DLI.16001, request id h)"


# ----------------------------------------------------------------- MRS
MRS: list[Row] = [
    (400, coded("0176"), {"X-Request-Id": "h"}, NotFoundError, "job does not exist: m", "0176", "h", None),
    (500, coded("0201"), {"Retry-After": "3"}, NotFoundError, "job does not exist: m", "0201", None, 3.0),
    (200, coded("0176"), {}, NotFoundError, "job does not exist: m", "0176", None, None),
    (400, coded("12000003", key="errorCode"), {"X-Request-Id": "h"}, ApiError, "cluster does not exist: m",
     "12000003", "h", None),
    (500, coded("12000003"), {}, ApiError, "cluster does not exist: m", "12000003", None, None),
    (400, coded("0183"), {}, JobBusyError, "job is running: m", "0183", None, None),
    (500, coded("0183"), {}, JobBusyError, "job is running: m", "0183", None, None),
    (400, coded("0202"), {"Retry-After": "2"}, TransientServiceError, "m", "0202", None, 2.0),
    # unknown codes (or a known one without its leading zero) are failures, never "not found"
    (400, {"error_code": 176, "error_msg": "m"}, {}, ApiError, "m", "176", None, None),
    (400, coded("0161"), {}, ApiError, "m", "0161", None, None),
    (400, coded("12000002"), {}, ApiError, "m", "12000002", None, None),
    (500, coded("0161"), {}, TransientServiceError, "m", "0161", None, None),
    (404, coded("0199"), {}, EndpointNotFoundError, "m", "0199", None, None),
    (404, {}, {}, EndpointNotFoundError, NO_ROUTE + "Reason", None, None, None),
    (500, {}, {}, TransientServiceError, "Reason", None, None, None),
    (400, coded("APIGW.0308"), {}, ThrottledError, "m", "APIGW.0308", None, None),
    (403, coded("APIGW.0302"), {}, AuthenticationError, "m", "APIGW.0302", None, None),
]


@pytest.mark.parametrize("row", MRS, ids=row_id)
def test_mrs_error(mrs: MrsHook, row: Row) -> None:
    check_row(mrs.parse_error, "mrs", row)


@pytest.mark.parametrize("body", SUCCESSES)
@pytest.mark.parametrize("status", [200, 202, 204])
def test_mrs_success(mrs: MrsHook, status: int, body: Any) -> None:
    assert mrs.parse_error(answer(status, body)) is None


# ----------------------------------------------------------------- RES
RES: list[Row] = [
    # is_success false is an error whatever the status, with or without a code
    (200, {"is_success": False, "error_code": "RES.1024", "error_msg": "m"}, {"X-Request-Id": "h"}, JobBusyError,
     "job cannot be deleted now: m", "RES.1024", "h", None),
    (200, {"is_success": "false", "error_msg": "m"}, {}, ApiError, "m", None, None, None),
    (202, {"is_success": " False "}, {}, ApiError, "Reason", None, None, None),
    (200, {"is_success": True, "error_code": "RES.1024", "error_msg": "m"}, {}, JobBusyError,
     "job cannot be deleted now: m", "RES.1024", None, None),
    (400, {"is_success": False, "error_code": "res.1024", "error_msg": "m"}, {}, JobBusyError,
     "job cannot be deleted now: m", "res.1024", None, None),
    # token and credential codes (any case) stop the run
    (200, {"is_success": False, "error_code": "res.2301", "error_msg": "m"}, {}, AuthenticationError, "m",
     "res.2301", None, None),
    (401, coded("RES.5502"), {}, AuthenticationError, "m", "RES.5502", None, None),
    (400, coded("RES.5503"), {}, AuthenticationError, "m", "RES.5503", None, None),
    (400, coded("RES.5504"), {}, AuthenticationError, "m", "RES.5504", None, None),
    # RES.1001 is only "gone" for the detail call (decided there): here it is a plain failure
    (400, coded("RES.1001"), {}, ApiError, "m", "RES.1001", None, None),
    (400, coded("RES.9999"), {}, ApiError, "m", "RES.9999", None, None),
    (404, {}, {}, EndpointNotFoundError, NO_ROUTE + "Reason", None, None, None),
    (500, {"is_success": False, "error_msg": "m"}, {"Retry-After": "4"}, TransientServiceError, "m", None, None, 4.0),
    (429, coded("APIGW.0308"), {}, ThrottledError, "m", "APIGW.0308", None, None),
]


@pytest.mark.parametrize("row", RES, ids=row_id)
def test_res_error(res: ResHook, row: Row) -> None:
    check_row(res.parse_error, "res", row)


@pytest.mark.parametrize(
    "body",
    [{"is_success": True}, {"is_success": "true"}, {"is_success": "TRUE"}, {}, {"error_code": ""}, [], b""],
)
@pytest.mark.parametrize("status", [200, 204])
def test_res_success(res: ResHook, status: int, body: Any) -> None:
    assert res.parse_error(answer(status, body)) is None
