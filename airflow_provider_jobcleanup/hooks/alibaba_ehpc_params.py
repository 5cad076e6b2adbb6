"""Validation and serialization of the E-HPC Instant ``DeleteJobs`` parameters (no network).

Operator/sensor arguments, named after the API's own words in snake_case:

* ``task_spec``: ``{job_id: [{"TaskName": "task0", "ArrayIndex": [0, 1]}, ...]}``: delete only these tasks
  (``ArrayIndex`` omitted: the whole task; given: only those array indexes) of the listed job. Jobs without
  an entry are deleted whole.
* ``executor_ids``: ``["job-xxxx-task0-1", ...]`` (``JobId-TaskName-ArrayIndex``): delete only these
  executors; their jobs must be in ``job_ids`` and are not deleted whole. Sent at most 100 per call.
* ``job_scheduler``: ``"HPC"`` (the API's default) or ``"K8S"``.

A job is deleted whole, by tasks, or by executors: never two of these at once. Every problem is reported
before any request is sent, with the offending value in the message. Arrays go on the wire as compact JSON
with the official SDK's key order (``JobId, TaskSpec`` / ``ArrayIndex, TaskName``), byte for byte what
``Utils.array_to_string_with_specified_style(..., 'json')`` emits.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_jobcleanup.exceptions import InvalidInputError

JOB_ID = re.compile(r"job-[A-Za-z0-9]{4,64}")
JOB_ID_DESCRIPTION = "'job-' and 4-64 letters or digits, e.g. job-hy1p5sqqtaq2hxs1"
#: task names: printable, no control characters [INF: the API documents no pattern]
TASK_NAME = re.compile(r"[^\x00-\x1f\x7f]{1,128}")
EXECUTOR_ID = re.compile(r"(job-[A-Za-z0-9]{4,64})-(.+)-(\d{1,9})")
SCHEDULERS = ("HPC", "K8S")
MAX_ARRAY_INDEX = 10**9


def compact_json(value: Any) -> str:
    """JSON exactly as the SDK sends array parameters: no spaces, non-ASCII kept."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _decode(value: Any, name: str) -> Any:
    """Templated arguments may arrive as JSON text."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise InvalidInputError(f"{name} must be JSON or a {name} object, got {value[:80]!r}") from None
    return value


@dataclass(frozen=True)
class Executor:
    executor_id: str
    job_id: str
    task_name: str
    array_index: int


@dataclass(frozen=True)
class EhpcParams:
    """The validated parameters.

    :param task_spec: job id -> its ``TaskSpec`` list, in SDK key order.
    :param executor_ids: job id -> its executors, in the order given.
    :param job_scheduler: ``HPC``, ``K8S`` or ``None`` (API default).
    """

    task_spec: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    executor_ids: dict[str, list[Executor]] = field(default_factory=dict)
    job_scheduler: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The operator-argument form (JSON-serializable, round-trips through :func:`parse_params`)."""
        return {
            "task_spec": {job: list(tasks) for job, tasks in self.task_spec.items()} or None,
            "executor_ids": [e.executor_id for ex in self.executor_ids.values() for e in ex] or None,
            "job_scheduler": self.job_scheduler,
        }

    def check_jobs(self, job_ids: Sequence[str]) -> None:
        """Every job named in ``task_spec`` / ``executor_ids`` must be one of ``job_ids``."""
        requested = set(job_ids)
        for name, jobs in (("task_spec", self.task_spec), ("executor_ids", self.executor_ids)):
            stray = [job for job in jobs if job not in requested]
            if stray:
                raise InvalidInputError(
                    f"{name} names job {stray[0]!r}, which is not in job_ids; add it to job_ids so the "
                    "report accounts for it"
                )


def parse_params(params: Mapping[str, Any]) -> EhpcParams:
    """Validate ``task_spec`` / ``executor_ids`` / ``job_scheduler``; raise :class:`InvalidInputError`."""
    task_spec = _task_spec(params.get("task_spec"))
    executors = _executor_ids(params.get("executor_ids"))
    both = sorted(set(task_spec) & set(executors))
    if both:
        raise InvalidInputError(
            f"job {both[0]!r} is in both task_spec and executor_ids; delete a job by tasks or by executors, "
            "not both in one run"
        )
    scheduler = params.get("job_scheduler")
    if scheduler is not None and scheduler not in SCHEDULERS:
        raise InvalidInputError(f"job_scheduler must be one of {list(SCHEDULERS)}, got {scheduler!r}")
    return EhpcParams(task_spec=task_spec, executor_ids=executors, job_scheduler=scheduler)


def _task_spec(value: Any) -> dict[str, list[dict[str, Any]]]:
    value = _decode(value, "task_spec")
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidInputError(
            "task_spec must map a job id to a list of {'TaskName': ..., 'ArrayIndex': [...]}, "
            f"got {type(value).__name__}"
        )
    out: dict[str, list[dict[str, Any]]] = {}
    for job_id, tasks in value.items():
        if not isinstance(job_id, str) or not JOB_ID.fullmatch(job_id):
            raise InvalidInputError(
                f"task_spec key {job_id!r} is not a job id: expected {JOB_ID_DESCRIPTION}"
            )
        if not isinstance(tasks, (list, tuple)) or not tasks:
            raise InvalidInputError(f"task_spec[{job_id!r}] must be a non-empty list of tasks, got {tasks!r}")
        seen: set[str] = set()
        out[job_id] = []
        for task in tasks:
            entry = _task(job_id, task)
            if entry["TaskName"] in seen:
                raise InvalidInputError(f"task_spec[{job_id!r}] names task {entry['TaskName']!r} twice")
            seen.add(entry["TaskName"])
            out[job_id].append(entry)
    return out


def _task(job_id: str, task: Any) -> dict[str, Any]:
    where = f"task_spec[{job_id!r}]"
    if not isinstance(task, Mapping):
        raise InvalidInputError(
            f"{where} entries must be {{'TaskName': ..., 'ArrayIndex': [...]}}, got {task!r}"
        )
    unknown = set(task) - {"TaskName", "ArrayIndex"}
    if unknown:
        raise InvalidInputError(f"{where} has unknown keys {sorted(unknown)}; allowed: TaskName, ArrayIndex")
    name = task.get("TaskName")
    if not isinstance(name, str) or not TASK_NAME.fullmatch(name):
        raise InvalidInputError(f"{where} TaskName must be a non-empty task name, got {name!r}")
    indexes = task.get("ArrayIndex")
    if indexes is None:
        return {"TaskName": name}
    if not isinstance(indexes, (list, tuple)) or not indexes:
        raise InvalidInputError(
            f"{where} task {name!r}: ArrayIndex must be a non-empty list of array indexes (omit it to delete "
            f"the whole task), got {indexes!r}"
        )
    for index in indexes:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < MAX_ARRAY_INDEX:
            raise InvalidInputError(
                f"{where} task {name!r}: ArrayIndex {index!r} is not a non-negative integer"
            )
    return {"ArrayIndex": list(dict.fromkeys(indexes)), "TaskName": name}


def _executor_ids(value: Any) -> dict[str, list[Executor]]:
    value = _decode(value, "executor_ids")
    if value is None:
        return {}
    if not isinstance(value, (list, tuple)) or not value:
        raise InvalidInputError(f"executor_ids must be a non-empty list of executor ids, got {value!r}")
    out: dict[str, list[Executor]] = {}
    seen: set[str] = set()
    for item in value:
        match = EXECUTOR_ID.fullmatch(item) if isinstance(item, str) else None
        if match is None or not TASK_NAME.fullmatch(match.group(2)):
            raise InvalidInputError(
                f"invalid executor id {item!r}: expected JobId-TaskName-ArrayIndex such as job-xxxx-task0-1"
            )
        if item in seen:
            continue
        seen.add(item)
        executor = Executor(item, match.group(1), match.group(2), int(match.group(3)))
        out.setdefault(executor.job_id, []).append(executor)
    return out
