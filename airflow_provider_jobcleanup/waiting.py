"""Waiting until jobs are gone: the one check shared by :class:`JobsGoneSensor`, :class:`JobsGoneTrigger` and
``BatchDeleteJobsOperator(wait_for_completion=True)``.

A job is gone when the service says so (not found, or its deleted state): :meth:`JobCleanupHook.get_job_states`
decides that, here we only ask it and word the answer. Imported at task run time, never at DAG parse time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_jobcleanup.exceptions import ApiError, JobCleanupError, JobsStillPresentError, PermanentError

if TYPE_CHECKING:
    from airflow_provider_jobcleanup.hooks.base import JobCleanupHook
    from airflow_provider_jobcleanup.models import JobStatus
    from airflow_provider_jobcleanup.triggers.jobs_gone import JobsGoneTrigger

#: how many still-present jobs a log line or a timeout message names
EXAMPLES_SHOWN = 5


def still_present(
    hook: JobCleanupHook, job_ids: Sequence[str], params: Mapping[str, Any]
) -> tuple[list[str], dict[str, JobStatus]]:
    """The jobs of ``job_ids`` that are not gone yet (in order), and every job's status."""
    states = hook.get_job_states(list(job_ids), **params)
    return [job_id for job_id in job_ids if not states[job_id].gone], states


def describe_present(
    service: str, remaining: Sequence[str], total: int, states: Mapping[str, JobStatus] | None = None
) -> str:
    """``"2 of 5 mrs jobs still present, e.g. a (RUNNING), b (RUNNING)"``."""
    shown = [
        f"{job_id} ({states[job_id].state})" if states is not None and job_id in states else job_id
        for job_id in remaining[:EXAMPLES_SHOWN]
    ]
    return f"{len(remaining)} of {total} {service} jobs still present, e.g. {', '.join(shown)}"


def wait_until_gone(
    hook: JobCleanupHook,
    job_ids: Sequence[str],
    params: Mapping[str, Any],
    *,
    poll_interval: float,
    timeout: float,
    log: Callable[[str], None],
) -> None:
    """Poll in this process until every job is gone; :class:`JobsStillPresentError` at the deadline.

    Like the trigger, a status check that failed after its own retries (an outage, throttling) is polled
    again at the next interval; any other error ends the wait.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            remaining, states = still_present(hook, job_ids, params)
            message = describe_present(hook.service, remaining, len(job_ids), states)
        except ApiError as err:
            if not err.retryable:
                raise
            remaining, message = list(job_ids), f"status check failed after retries ({err}); polling again"
        if not remaining:
            return
        now = time.monotonic()
        if now >= deadline:
            raise JobsStillPresentError(f"{message} after waiting {timeout:g} s")
        log(message)
        time.sleep(min(poll_interval, deadline - now))


def gone_trigger(
    *, conn_id: str, service: str, job_ids: list[str], params: dict[str, Any], poll_interval: float, timeout: float
) -> JobsGoneTrigger:
    """The trigger a deferring task hands its wait to, with an absolute deadline ``timeout`` s from now."""
    from airflow_provider_jobcleanup.triggers.jobs_gone import JobsGoneTrigger

    return JobsGoneTrigger(
        conn_id=conn_id,
        service=service,
        job_ids=job_ids,
        service_params=params,
        poll_interval=float(poll_interval),
        end_time=time.time() + float(timeout),
    )


def gone_from_event(event: Mapping[str, Any] | None) -> list[str]:
    """The job ids a :class:`JobsGoneTrigger` success event confirms gone; raises for any other event.

    A timeout raises :class:`JobsStillPresentError`; an error raises :class:`PermanentError` when the trigger
    met one (Airflow will not retry), else :class:`JobCleanupError`.
    """
    event = event or {}
    status = event.get("status")
    if status == "success":
        return list(event.get("gone", []))
    message = event.get("message") or f"unexpected trigger event {dict(event)!r}"
    if status == "timeout":
        raise JobsStillPresentError(message)
    if event.get("permanent"):
        raise PermanentError(message)
    raise JobCleanupError(message)
