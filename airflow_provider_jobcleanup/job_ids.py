"""Validation of the job-id list a user hands to the operator, sensor or hook.

Runs before any request is sent: a value that is not a list, a job id of the wrong type or shape, or an
oversized list fails here with a message naming the bad value. Duplicates are removed (a job is deleted
once), keeping the first occurrence's order.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from typing import Any

from airflow_provider_jobcleanup.exceptions import InvalidInputError, InvalidJobIdError

MAX_SHOWN = 80


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 3] + "..."


def _parse_literal(text: str) -> Any:
    """The JSON or Python literal ``text`` holds, or ``None`` (nested too deep to parse counts as none)."""
    for parse in (json.loads, ast.literal_eval):
        try:
            return parse(text)
        except (ValueError, SyntaxError, RecursionError, MemoryError):
            continue
    return None


def coerce_params(value: Any) -> dict[str, Any]:
    """Service parameters as a dict (a string must hold a JSON or Python dict literal)."""
    if isinstance(value, str):
        parsed = _parse_literal(value.strip())
        if not isinstance(parsed, dict):
            raise InvalidInputError(f"service_params must be a dict, got the string {_show(value)}")
        value = parsed
    if not isinstance(value, dict):
        raise InvalidInputError(f"service_params must be a dict, got {type(value).__name__}: {_show(value)}")
    return dict(value)


def coerce_id_list(value: Any) -> list[Any]:
    """Accept a list/tuple (or a string holding a JSON or Python list literal, as Jinja renders one)."""
    if isinstance(value, str):
        parsed = _parse_literal(value.strip())
        if not isinstance(parsed, list):
            raise InvalidInputError(f"job_ids must be a list of job ids, got the string {_show(value)}")
        value = parsed
    if isinstance(value, (set, frozenset)):
        value = sorted(value, key=str)
    if not isinstance(value, (list, tuple)):
        raise InvalidInputError(f"job_ids must be a list of job ids, got {type(value).__name__}: {_show(value)}")
    return list(value)


def normalize_job_ids(
    value: Any,
    *,
    pattern: re.Pattern[str],
    description: str,
    allow_int: bool = True,
    max_count: int | None = None,
    canonical: Callable[[str], str] | None = None,
) -> list[str]:
    """Validate every id against ``pattern`` and return them as strings in canonical form, deduplicated, in order.

    :param pattern: full-match regex an id (as a string) must satisfy.
    :param description: what a valid id looks like, used in the error message.
    :param allow_int: whether integers are accepted (converted to their decimal string).
    :param max_count: more ids than this (after deduplication) is an error.
    :param canonical: the service's canonical spelling of a valid id (``ABC`` and ``abc`` may be one job).
    """
    raw = coerce_id_list(value)
    if not raw:
        raise InvalidInputError("job_ids is empty: there is nothing to delete")
    texts = [normalize_one(item, pattern=pattern, description=description, allow_int=allow_int) for item in raw]
    ids = list(dict.fromkeys(canonical(text) if canonical else text for text in texts))
    if max_count is not None and len(ids) > max_count:
        raise InvalidInputError(
            f"job_ids has {len(ids)} distinct job ids, more than the safety cap max_jobs={max_count}; "
            "nothing was deleted"
        )
    return ids


def normalize_one(item: Any, *, pattern: re.Pattern[str], description: str, allow_int: bool = True) -> str:
    """One id as a validated string."""
    if isinstance(item, bool) or not isinstance(item, (str, int)) or (isinstance(item, int) and not allow_int):
        raise InvalidJobIdError(f"invalid job id {_show(item)} ({type(item).__name__}): expected {description}")
    text = str(item)
    if not pattern.fullmatch(text):
        raise InvalidJobIdError(f"invalid job id {_show(item)}: expected {description}")
    return text
