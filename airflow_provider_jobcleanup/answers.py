"""What the services answer, and how the provider reads it: :class:`Answer` (what the transport returns), the
typed error an error answer stands for, and what a success answer must be before a hook believes it.

Each call declares its answer as a pydantic model (``extra`` fields allowed, since services add fields, but
every field the hook relies on required and typed). :func:`parse_answer` turns anything else (not JSON, empty,
truncated, the wrong shape or types) into an :class:`UnexpectedAnswerError` that names the service, the call
and what was wrong; it never lets such an answer count as a success.
"""

from __future__ import annotations

import email.utils
import json as jsonlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from requests.structures import CaseInsensitiveDict

from airflow_provider_jobcleanup.exceptions import (
    ApiError,
    AuthenticationError,
    EndpointNotFoundError,
    PermissionDeniedError,
    ThrottledError,
    TransientServiceError,
    UnexpectedAnswerError,
)


@dataclass(frozen=True)
class Answer:
    """One complete answer: status, headers and the whole body (already read, within the size cap)."""

    status_code: int
    headers: CaseInsensitiveDict[str]
    content: bytes
    reason: str = ""
    url: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return jsonlib.loads(self.content)


#: Turns an answer into the error it represents, or ``None`` when the answer is a success.
ErrorParser = Callable[[Answer], "ApiError | None"]


Model = TypeVar("Model", bound=BaseModel)

#: how many validation problems an error lists
MAX_PROBLEMS = 5


class AnswerModel(BaseModel):
    """Base of the answer models: unknown fields are kept out of the way, known ones are checked."""

    model_config = ConfigDict(extra="ignore", frozen=True)


def unexpected(answer: Answer, service: str, call: str, problem: str) -> UnexpectedAnswerError:
    """The error for a success answer that is not what ``call`` must return."""
    return UnexpectedAnswerError(
        f"{call}: unexpected answer ({problem}); nothing is taken as done from it",
        service=service,
        status_code=answer.status_code,
        request_id=answer.headers.get("X-Request-Id") or answer.headers.get("x-acs-request-id"),
    )


def read_json(answer: Answer, service: str, call: str) -> Any:
    """The JSON body of ``answer``; an error when it is empty, not declared JSON, or not valid JSON."""
    content_type = (answer.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if not answer.content.strip():
        raise unexpected(answer, service, call, "empty body")
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise unexpected(answer, service, call, f"content type {content_type or 'missing'!r}, not JSON")
    try:
        return answer.json()
    except ValueError:
        raise unexpected(answer, service, call, f"body is not valid JSON ({len(answer.content)} bytes)") from None


def parse_answer(answer: Answer, model: type[Model], service: str, call: str) -> Model:
    """``answer``'s JSON body validated as ``model``."""
    return validate(read_json(answer, service, call), model, answer, service, call)


def validate(body: Any, model: type[Model], answer: Answer, service: str, call: str) -> Model:
    """``body`` (already decoded) validated as ``model``; the error lists where and what, never the values."""
    try:
        return model.model_validate(body)
    except ValidationError as err:
        problems = [
            f"{'.'.join(str(part) for part in item['loc']) or 'body'}: {item['msg']}"
            for item in err.errors()[:MAX_PROBLEMS]  # where and what only: the input is never shown
        ]
        raise unexpected(answer, service, call, "; ".join(problems)) from None


def expect_empty_or_json(answer: Answer, service: str, call: str) -> Any:
    """For calls whose success has no body (or an optional JSON one): ``None`` for an empty body, the decoded
    JSON otherwise; anything else (an HTML page, truncated JSON) is an error."""
    if not answer.content.strip():
        return None
    return read_json(answer, service, call)


# ----------------------------------------------------------------- error answers
def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def json_or_none(answer: Answer) -> Any:
    """The decoded JSON body, or ``None`` for an empty or non-JSON body (for reading error answers)."""
    if not answer.content:
        return None
    try:
        return answer.json()
    except ValueError:
        return None


def default_error_parser(service: str) -> ErrorParser:
    """Error parser for answers whose error shape follows from the HTTP status alone."""

    def parse(answer: Answer) -> ApiError | None:
        return None if answer.ok else error_from_status(service, answer)

    return parse


def error_fields(answer: Answer) -> tuple[str | None, str, str | None]:
    """``(error_code, message, request_id)`` read from an error answer in any of the common shapes:
    ``{error_code,error_msg}``, ``{errorCode,errorMsg}``, ``{code,message}``, ``{Code,Message,RequestId}``,
    Keystone's ``{"error": {...}}``."""
    body = json_or_none(answer)
    code = message = request_id = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        body = {"code": body["error"].get("code"), "message": body["error"].get("message")}
    if isinstance(body, dict):
        code = body.get("error_code") or body.get("errorCode") or body.get("Code") or body.get("code")
        message = (
            body.get("error_msg")
            or body.get("errorMsg")
            or body.get("Message")
            or body.get("message")
            or body.get("msg")
        )
        request_id = body.get("RequestId") or body.get("request_id")
    request_id = request_id or answer.headers.get("X-Request-Id") or answer.headers.get("x-acs-request-id")
    text = str(message) if message else (answer.reason or "error")
    return (str(code) if code is not None else None), text, (str(request_id) if request_id else None)


def error_from_status(service: str, answer: Answer, *, message_prefix: str = "") -> ApiError:
    """The typed error that an HTTP status implies."""
    code, message, request_id = error_fields(answer)
    status = answer.status_code
    cls: type[ApiError]
    if status == 401:
        cls = AuthenticationError
    elif status == 403:
        cls = PermissionDeniedError
    elif status == 404:
        # a code is the service's own answer (its hook decides what it means); without one, the 404 is the
        # gateway's or a proxy's, which says nothing about the job
        cls = EndpointNotFoundError
        if code is None:
            message = f"HTTP 404 without a not-found code of the service (wrong endpoint or API version?): {message}"
    elif status == 429:
        cls = ThrottledError
    elif status >= 500:
        cls = TransientServiceError
    else:
        cls = ApiError
    return cls(
        message_prefix + message,
        service=service,
        status_code=status,
        error_code=code,
        request_id=request_id,
        retry_after=parse_retry_after(answer.headers.get("Retry-After")),
    )
