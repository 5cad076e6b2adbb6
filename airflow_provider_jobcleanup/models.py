"""Plain data shared by hooks, operators, sensors and triggers.

These are dataclasses without behaviour that touches the network, so they are cheap to import at DAG-parse
time and trivially JSON-serializable for XCom and trigger kwargs.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Literal


@dataclass(frozen=True)
class JobInfo:
    """One job as a service lists it.

    :param job_id: the job id as a string (the form used in reports).
    :param state: the service's own state word (``FAILED``, ``job_running``, ``statR``...), or ``None``.
    :param name: the job name, if the service has one.
    :param created_at: creation time in UTC, if the service reports it.
    """

    job_id: str
    state: str | None = None
    name: str | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class JobStatus:
    """Whether one job is gone, as seen by a status call.

    :param job_id: the job id.
    :param gone: ``True`` when the job no longer exists or is in the service's deleted state.
    :param state: the state word the service reported, or ``None`` when the job was not found.
    """

    job_id: str
    gone: bool
    state: str | None = None


@dataclass(frozen=True)
class Outcome:
    """One job's outcome, held until it goes into a report with :meth:`DeletionReport.record` (when a job's
    outcome is assembled from several answers, or answers arrive out of order).

    :param kind: ``deleted``, ``already_gone`` or ``failed``.
    :param reason: why it failed (``failed`` only).
    """

    kind: Literal["deleted", "already_gone", "failed"]
    reason: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ("deleted", "already_gone", "failed"):
            raise ValueError(f"unknown outcome kind {self.kind!r}")

    @classmethod
    def failure(cls, reason: str) -> Outcome:
        return cls("failed", reason)


DELETED = Outcome("deleted")
ALREADY_GONE = Outcome("already_gone")


class _Outcomes(list):
    """One of a report's outcome lists (``deleted``, ``already_gone``): tells the report when jobs are added."""

    report: DeletionReport | None = None

    def append(self, job_id: str) -> None:
        super().append(job_id)
        self._recorded()

    def extend(self, job_ids: Iterable[str]) -> None:
        super().extend(job_ids)
        self._recorded()

    def _recorded(self) -> None:
        if self.report is not None:
            self.report.outcomes_recorded()


class _Failures(dict):
    """A report's ``failed`` mapping: tells the report when a failure is recorded."""

    report: DeletionReport | None = None

    def __setitem__(self, job_id: str, reason: str) -> None:
        super().__setitem__(job_id, reason)
        if self.report is not None:
            self.report.outcomes_recorded()

    def update(self, *args: Any, **kwargs: Any) -> None:
        for job_id, reason in dict(*args, **kwargs).items():
            self[job_id] = reason


@dataclass
class DeletionReport:
    """What a batch delete did, job by job. Returned by hooks and pushed to XCom by the operator.

    ``deleted`` + ``already_gone`` + ``failed`` always add up to ``requested``. In a dry run nothing is deleted:
    ``would_delete`` + ``already_gone`` add up to ``requested``, and ``states`` gives the state of each job
    that would be deleted. ``api_calls`` counts every HTTP request sent, including authentication and retries.
    ``confirmed_gone`` lists the deleted jobs the service then showed as gone, when the operator waited for
    that (``wait_for_completion=True``).

    Hooks record outcomes with :meth:`record_deleted`, :meth:`record_gone`, :meth:`record_failed` (or
    :meth:`record` for an :class:`Outcome`). ``on_progress`` (not part of the report's data) is called each
    time outcomes are recorded, so long runs can log their progress.
    """

    service: str
    requested: list[str]
    deleted: list[str] = field(default_factory=list)
    already_gone: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False
    api_calls: int = 0
    would_delete: list[str] = field(default_factory=list)
    states: dict[str, str | None] = field(default_factory=dict)
    confirmed_gone: list[str] = field(default_factory=list)
    on_progress: Callable[[DeletionReport], None] | None = field(default=None, repr=False, compare=False)

    def __setattr__(self, name: str, value: Any) -> None:
        # the outcome containers report additions, whether set by __init__ or replaced later
        if name in ("deleted", "already_gone") and not isinstance(value, _Outcomes):
            value = _Outcomes(value)
        elif name == "failed" and not isinstance(value, _Failures):
            value = _Failures(value)
        if isinstance(value, (_Outcomes, _Failures)):
            value.report = self
        super().__setattr__(name, value)

    def record_deleted(self, job_ids: Iterable[str]) -> None:
        """The service confirmed these jobs deleted."""
        self.deleted.extend(job_ids)

    def record_gone(self, job_ids: Iterable[str]) -> None:
        """The service showed these jobs do not exist (any more): nothing was deleted for them."""
        self.already_gone.extend(job_ids)

    def record_failed(self, job_id: str, reason: str) -> None:
        """This job was not deleted, or its deletion was not confirmed, for ``reason``."""
        self.failed[job_id] = reason

    def record(self, job_id: str, outcome: Outcome) -> None:
        if outcome.kind == "deleted":
            self.record_deleted([job_id])
        elif outcome.kind == "already_gone":
            self.record_gone([job_id])
        else:
            self.record_failed(job_id, outcome.reason)

    @property
    def done(self) -> int:
        """Requested jobs that have an outcome so far."""
        return len(self.deleted) + len(self.already_gone) + len(self.failed)

    def outcomes_recorded(self) -> None:
        """Called by the outcome containers; passes the report to ``on_progress``."""
        if self.on_progress is not None:
            self.on_progress(self)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-serializable form documented as the operator's return value."""
        return {
            "service": self.service,
            "requested": list(self.requested),
            "deleted": list(self.deleted),
            "already_gone": list(self.already_gone),
            "failed": dict(self.failed),
            "dry_run": self.dry_run,
            "api_calls": self.api_calls,
            "would_delete": list(self.would_delete),
            "states": dict(self.states),
            "confirmed_gone": list(self.confirmed_gone),
        }

    @property
    def unaccounted(self) -> list[str]:
        """Requested ids that have no outcome: always empty for a complete report."""
        seen = set(self.deleted) | set(self.already_gone) | set(self.failed) | set(self.would_delete)
        return [job_id for job_id in self.requested if job_id not in seen]


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: timedelta | int | float | str) -> timedelta:
    """Turn ``"7d"``, ``"12h"``, ``3600`` (seconds) or a ``timedelta`` into a ``timedelta``."""
    if isinstance(value, timedelta):
        result = value
    elif isinstance(value, bool):
        raise ValueError(f"older_than must be a duration, got {value!r}")
    elif isinstance(value, (int, float)):
        result = timedelta(seconds=value)
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        result = timedelta(seconds=float(match.group(1)) * _UNIT_SECONDS[match.group(2)])
    else:
        raise ValueError(f"older_than must be a duration such as '7d', '12h' or seconds, got {value!r}")
    if result < timedelta(0):
        raise ValueError(f"older_than must not be negative, got {value!r}")
    return result


@dataclass(frozen=True)
class JobFilter:
    """Which jobs a scheduled cleanup selects.

    :param states: service state words to match (case-insensitive); empty means any state.
    :param older_than: only jobs created at least this long ago.
    :param name_pattern: shell-style glob (``etl-*``) matched against the job name.
    """

    states: tuple[str, ...] = ()
    older_than: timedelta | None = None
    name_pattern: str | None = None

    @classmethod
    def from_value(cls, value: JobFilter | dict[str, Any]) -> JobFilter:
        """Build a filter from the operator argument (a ``JobFilter`` or a templated dict)."""
        if isinstance(value, JobFilter):
            return value
        if not isinstance(value, dict):
            raise ValueError(f"job_filter must be a dict or JobFilter, got {type(value).__name__}: {value!r}")
        unknown = set(value) - {"states", "state", "older_than", "name_pattern"}
        if unknown:
            raise ValueError(
                f"job_filter has unknown keys {sorted(unknown)}; allowed: states, older_than, name_pattern"
            )
        states = value.get("states", value.get("state", ()))
        if isinstance(states, str):
            states = (states,)
        if not isinstance(states, Iterable) or not all(isinstance(s, str) and s for s in states):
            raise ValueError(f"job_filter states must be a list of state names, got {states!r}")
        older = value.get("older_than")
        pattern = value.get("name_pattern")
        if pattern is not None and not isinstance(pattern, str):
            raise ValueError(f"job_filter name_pattern must be a string, got {pattern!r}")
        return cls(
            states=tuple(states),
            older_than=parse_duration(older) if older is not None else None,
            name_pattern=pattern,
        )

    def matches(self, job: JobInfo, now: datetime | None = None) -> bool:
        """True when ``job`` passes every criterion; a job whose age is unknown never passes ``older_than``."""
        if self.states and (job.state is None or job.state.lower() not in {s.lower() for s in self.states}):
            return False
        if self.older_than is not None:
            if job.created_at is None:
                return False
            now = now or datetime.now(timezone.utc)
            if now - job.created_at < self.older_than:
                return False
        return not (self.name_pattern and not fnmatch.fnmatchcase(job.name or "", self.name_pattern))

    def to_dict(self) -> dict[str, Any]:
        return {
            "states": list(self.states),
            "older_than": self.older_than.total_seconds() if self.older_than is not None else None,
            "name_pattern": self.name_pattern,
        }
