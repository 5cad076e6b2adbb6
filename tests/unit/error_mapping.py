"""What the answer -> error mapping tests share: answers built in memory (nothing is sent), error bodies, the
row of a mapping table and the one check of a row (class, message, service, status, code, request id, retry)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from requests.structures import CaseInsensitiveDict

from airflow_provider_jobcleanup.answers import Answer
from airflow_provider_jobcleanup.exceptions import ApiError

NO_ROUTE = "HTTP 404 without a not-found code of the service (wrong endpoint or API version?): "
URL = "http://127.0.0.1:1/"

# the message key that goes with each code key of the services' error bodies
MESSAGE_KEYS = {"error_code": "error_msg", "errorCode": "errorMsg", "Code": "Message"}

# (status, body, headers, class, message, error code, request id, retry_after)
Row = tuple[int, Any, dict[str, str], type[ApiError], str, "str | None", "str | None", "float | None"]


def answer(
    status: int,
    body: Any = None,
    headers: dict[str, str] | None = None,
    *,
    reason: str = "Reason",
    url: str = URL,
) -> Answer:
    """An answer: ``body`` as JSON, bytes as they are, ``None`` as no body."""
    if body is None:
        content = b""
    elif isinstance(body, bytes):
        content = body
    else:
        content = json.dumps(body).encode()
    return Answer(status, CaseInsensitiveDict(headers or {}), content, reason=reason, url=url)


def coded(code: str, message: str = "m", *, key: str = "error_code", request_id: str | None = None) -> dict[str, str]:
    """An error body: ``code`` under ``key``, ``message`` under its message key, and ``RequestId`` if given."""
    body = {key: code, MESSAGE_KEYS[key]: message}
    if request_id is not None:
        body["RequestId"] = request_id
    return body


def row_id(row: Row) -> str:
    """A readable test id: status, class, code, and the request id and retry delay when the row has them."""
    status, _body, _headers, cls, _message, code, request_id, retry_after = row
    parts = [str(status), cls.__name__, code or "no code"]
    if request_id is not None:
        parts.append(f"id {request_id}")
    if retry_after is not None:
        parts.append(f"retry {retry_after:g}")
    return "-".join(parts)


def check_row(parse: Callable[[Answer], ApiError | None], service: str, row: Row, *, url: str = URL) -> None:
    """``parse`` maps the row's answer to exactly the row's error, for ``service``."""
    status, body, headers, cls, message, code, request_id, retry_after = row
    err = parse(answer(status, body, headers, url=url))
    assert type(err) is cls
    assert err.message == message
    assert (err.service, err.status_code, err.error_code, err.request_id, err.retry_after) == (
        service,
        status,
        code,
        request_id,
        retry_after,
    )
