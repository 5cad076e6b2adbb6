"""What a success answer must be, checked before a hook believes it.

Each call declares its answer as a pydantic model (``extra`` fields allowed, since services add fields, but
every field the hook relies on required and typed). :func:`parse_answer` turns anything else (not JSON, empty,
truncated, the wrong shape or types) into an :class:`UnexpectedAnswerError` that names the service, the call
and what was wrong; it never lets such an answer count as a success.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from airflow_provider_jobcleanup.exceptions import UnexpectedAnswerError
from airflow_provider_jobcleanup.transport import Answer

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
            for item in err.errors(include_input=False, include_url=False)[:MAX_PROBLEMS]
        ]
        raise unexpected(answer, service, call, "; ".join(problems)) from None


def expect_empty_or_json(answer: Answer, service: str, call: str) -> Any:
    """For calls whose success has no body (or an optional JSON one): ``None`` for an empty body, the decoded
    JSON otherwise; anything else (an HTML page, truncated JSON) is an error."""
    if not answer.content.strip():
        return None
    return read_json(answer, service, call)
