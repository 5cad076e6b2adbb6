"""SCNet HPC wire formats as pure functions: job references, ``strJobInfoMap``, the delete answer's
per-manager messages, job list items, service discovery answers and the ``code`` -> error mapping.

Kept apart from the hook so that each can be unit-tested without a server.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_jobcleanup.answers import Answer, ErrorParser, error_from_status, json_or_none, unexpected
from airflow_provider_jobcleanup.auth.scnet_token import CODE_FROZEN, frozen_message
from airflow_provider_jobcleanup.exceptions import (
    ApiError,
    AuthenticationError,
    PermissionDeniedError,
    TransientServiceError,
)
from airflow_provider_jobcleanup.hooks import times

SERVICE = "scnet"

#: SCNet job states (job query reference)
STATES = {
    "statR": "running",
    "statQ": "queued",
    "statH": "held",
    "statS": "suspended",
    "statE": "exited",
    "statC": "completed",
    "statW": "waiting",
    "statX": "other",
}
#: states of a job that has ended: it no longer runs, queues or holds resources (see the hook's "gone")
TERMINAL_STATES = frozenset({"statC", "statE"})

#: scheduler job id: digits, or a Slurm array element ``35918_3``
JOB_NUMBER = r"\d{1,19}(?:_\d{1,9})?"
#: cluster (Unix) user name
USER = r"[A-Za-z_][A-Za-z0-9._-]{0,31}"
JOB_KEY = re.compile(rf"(?:(?P<user>{USER}):)?(?P<job>{JOB_NUMBER})")
MANAGER_ID = re.compile(r"\d{1,19}")
USER_NAME = re.compile(USER)

#: Beijing time: the zone SCNet's ``yyyy-MM-dd HH:mm:ss`` timestamps are taken to be in [INF]
SCNET_TZ = timezone(timedelta(hours=8))
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

#: body codes (the delete call's error table)
CODE_PERMISSION = "10008"  # "insufficient permission": also what an expired or forged token gets, as clients report
CODE_NO_API_ACCESS = "10009"
TRANSIENT_CODES = frozenset({"10001", "10012", "10013"})

#: reasons in a delete message that mean the job is no longer in the scheduler
NOT_FOUND_REASONS = (
    "invalid job id",
    "not exist",
    "not found",
    "no such job",
    "already completing or completed",
)


@dataclass(frozen=True)
class JobRef:
    """One job to address: its report key (as the user wrote it) and where it lives."""

    key: str
    manager_id: str
    user: str
    job_id: str

    @property
    def entry(self) -> str:
        """Its ``strJobInfoMap`` entry: ``{managerId},{user}:{jobId}:``."""
        return f"{self.manager_id},{self.user}:{self.job_id}:"


@dataclass(frozen=True)
class DeleteOutcome:
    """What a delete message says about one job."""

    deleted: bool
    reason: str = ""

    @property
    def not_found(self) -> bool:
        return not self.deleted and is_not_found_reason(self.reason)


def split_job_key(key: str) -> tuple[str | None, str]:
    """``"alice:123"`` -> ``("alice", "123")``; ``"123"`` -> ``(None, "123")`` (for a validated key)."""
    match = JOB_KEY.fullmatch(key)
    if match is None:
        raise ValueError(f"not an SCNet job key: {key!r}")
    return match.group("user"), match.group("job")


def build_job_info_map(refs: Iterable[JobRef]) -> str:
    """``strJobInfoMap``: entries joined by ``;`` (``1638523853,test:197:;1638523853,test:196:``)."""
    return ";".join(ref.entry for ref in refs)


_SEGMENT = re.compile(r"delete the jobs\s*\[(?P<jobs>[^\]]*)\]\s*(?P<rest>.*?)(?=delete the jobs|\Z)", re.S | re.I)
_ENTRY = re.compile(rf"(?P<user>{USER}):(?P<job>{JOB_NUMBER}):")


def parse_delete_message(message: str) -> dict[tuple[str, str], DeleteOutcome]:
    """Outcomes per ``(user, job_id)`` in one manager's message.

    The documented success shape is ``jobManagerId : 1638523853, delete the jobs [test:19:] successfully!``.
    Failures are assumed to follow the same pattern with another word than ``successfully`` and a reason
    (``delete the jobs [test:20:] failed! reason: Invalid job id specified``) [INF]. A job the message does
    not name gets no outcome: the caller re-checks it.
    """
    outcomes: dict[tuple[str, str], DeleteOutcome] = {}
    for segment in _SEGMENT.finditer(message or ""):
        rest = segment.group("rest").strip().rstrip(";,")
        success = rest.lower().startswith("success")
        reason = "" if success else _reason(rest)
        for entry in _ENTRY.finditer(segment.group("jobs")):
            outcomes[(entry.group("user"), entry.group("job"))] = DeleteOutcome(success, reason)
    return outcomes


def _reason(rest: str) -> str:
    match = re.search(r"reason\s*[:\uff1a]\s*(.*)", rest, re.S | re.I)  # ASCII or full-width colon
    text = (match.group(1) if match else rest).strip().rstrip("!.;, ")
    return text or "the service reported a failure without a reason"


def parse_delete_answer(data: Any) -> dict[str, dict[tuple[str, str], DeleteOutcome]]:
    """Per manager id, the outcomes its message reports (``data`` is ``{managerId: message}``)."""
    if not isinstance(data, Mapping):
        return {}
    return {str(manager): parse_delete_message(str(message)) for manager, message in data.items()}


def is_not_found_reason(reason: str) -> bool:
    lowered = reason.lower()
    return any(marker in lowered for marker in NOT_FOUND_REASONS)


def parse_time(value: Any) -> datetime | None:
    """An SCNet ``yyyy-MM-dd HH:mm:ss`` (Beijing time) or epoch-ms value as an aware UTC datetime."""
    return times.epoch_ms(value) or times.local_text(value, TIME_FORMAT, SCNET_TZ)


def format_time(moment: datetime) -> str:
    """A datetime as SCNet's Beijing-time ``yyyy-MM-dd HH:mm:ss``."""
    return times.to_local_text(moment, TIME_FORMAT, SCNET_TZ)


def item_state(item: Mapping[str, Any]) -> str | None:
    """A list item's state: realtime lists use ``jobStatus``, history ``jobState``, members ``status``."""
    for key in ("jobStatus", "jobState", "status"):
        if item.get(key):
            return str(item[key])
    return None


def item_job_id(item: Mapping[str, Any]) -> str:
    return str(item.get("jobId") or item.get("id") or "")


def list_page(data: Any) -> tuple[list[dict[str, Any]], int]:
    """``(items, total)`` of a list answer's ``data`` (``{total, list}``)."""
    if isinstance(data, list):
        return [i for i in data if isinstance(i, dict)], len(data)
    if not isinstance(data, Mapping):
        return [], 0
    items = data.get("list") or data.get("rows") or []
    try:
        total = int(data.get("total") or 0)
    except (TypeError, ValueError):
        total = 0
    return [i for i in items if isinstance(i, dict)], total


def pick_center(data: Any, cluster_id: str | None, cluster_name: str | None) -> dict[str, Any]:
    """The region entry of a ``/ac/openapi/v2/center`` answer (a list of regions, or one region object)."""
    if isinstance(data, Mapping):
        return dict(data)
    regions = [r for r in data or [] if isinstance(r, Mapping)]
    for region in regions:
        if cluster_id and str(region.get("id") or region.get("clusterId")) == cluster_id:
            return dict(region)
    for region in regions:
        if cluster_name and cluster_name in {str(region.get("name")), str(region.get("clusterName"))}:
            return dict(region)
    return dict(regions[0]) if regions else {}


def enabled_url(entries: Any) -> str | None:
    """The first ``{url, enable}`` entry whose ``enable`` is true (the API sends the string ``"true"``)."""
    for entry in entries or []:
        if isinstance(entry, Mapping) and str(entry.get("enable")).lower() == "true" and entry.get("url"):
            return str(entry["url"])
    return None


def home_user(region: Mapping[str, Any]) -> str | None:
    """The cluster user from ``clusterUserInfo`` (``userName``, else the last segment of ``homePath``)."""
    info = region.get("clusterUserInfo") or {}
    if not isinstance(info, Mapping):
        return None
    if info.get("userName"):
        return str(info["userName"])
    path = str(info.get("homePath") or "").rstrip("/")
    return path.rsplit("/", 1)[-1] or None


def error_parser(user: str) -> ErrorParser:
    """Errors of authenticated SCNet calls: HTTP status first, then the body ``code`` of an HTTP 200.

    ``10008`` becomes :class:`AuthenticationError`, so the transport renews the token (or logs in) once and
    sends again; ``10007`` (user frozen) and ``10009`` are permanent; ``10001``/``10012``/``10013`` are
    retried.
    """

    def parse(response: Answer) -> ApiError | None:
        if not response.ok:
            return error_from_status(SERVICE, response)
        body = json_or_none(response)
        if not isinstance(body, dict):
            return unexpected(response, SERVICE, urlsplit(response.url).path, "not a JSON object")
        code = str(body.get("code", "0"))
        if code == "0":
            return None
        message = str(body.get("msg") or body.get("message") or "error")
        fields: dict[str, Any] = {"service": SERVICE, "status_code": response.status_code, "error_code": code}
        if code == CODE_PERMISSION:
            return AuthenticationError(f"token rejected or permission denied: {message}", **fields)
        if code == CODE_FROZEN:
            return PermissionDeniedError(frozen_message(user, message), **fields)
        if code == CODE_NO_API_ACCESS:
            return PermissionDeniedError(f"user {user!r} may not call this API: {message}", **fields)
        if code in TRANSIENT_CODES:
            return TransientServiceError(message, **fields)
        return ApiError(message, **fields)

    return parse
