"""``BatchDeleteJobsOperator``: delete a list (or a filtered snapshot) of jobs on any supported service.

Cloud-agnostic: it validates input, picks the hook for the service, and turns the hook's report into the
task's XCom. Nothing expensive happens at import or in ``__init__`` (DAG files import this on every parse).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator
from airflow.sdk.exceptions import AirflowSkipException

from airflow_provider_jobcleanup.exceptions import InvalidInputError, JobCleanupError
from airflow_provider_jobcleanup.links import JobsConsoleLink
from airflow_provider_jobcleanup.models import DeletionReport, JobFilter
from airflow_provider_jobcleanup.services import (
    get_cleanup_hook,
    merge_service_params,
    pop_service_params,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_jobcleanup.hooks.base import JobCleanupHook

MAX_LISTED_FAILURES = 20
FAILED_STATES = ("failed", "upstream_failed")


class BatchDeleteJobsOperator(BaseOperator):
    """Delete jobs in batches and report, job by job, what happened.

    :param conn_id: Airflow connection (``huaweicloud``, ``alibaba_ehpc`` or ``scnet``).
    :param service: ``dli``, ``mrs``, ``res``, ``ehpc`` or ``scnet``; may be omitted when the connection type
        serves one service only.
    :param job_ids: the jobs to delete (templated; an ``XComArg`` works). Validated and deduplicated before
        any request is sent.
    :param job_filter: instead of ``job_ids``: ``{"states": [...], "older_than": "7d", "name_pattern": "etl-*"}``.
        The matching jobs are listed once and exactly that snapshot is deleted.
    :param dry_run: read which requested jobs exist (and their states) and report what would be deleted
        (``would_delete``, ``states``) and what is already gone; send no delete request.
    :param max_jobs: safety cap; more jobs than this fails the task before anything is deleted.
    :param allow_empty: succeed with an empty report when ``job_ids`` is empty (for teardowns whose pipeline
        may have submitted nothing); by default an empty list is an error, since it usually means a broken
        upstream.
    :param only_on_failure: skip (delete nothing) unless a direct upstream task failed: for a teardown that
        should clean up only after a failed pipeline.
    :param service_params: the service's own parameters as one dict (templated, so it can come from
        ``dag_run.conf`` or XCom); merged with the keyword form below.
    :param service_kwargs: the service's own parameters, named after its API (``cluster_id=`` for MRS,
        ``type=``/``offline_platform=`` for RES, ...), passed as ordinary keyword arguments.

    Returns (XCom) ``{"service", "requested", "deleted", "already_gone", "failed", "dry_run", "api_calls"}``;
    each field is also pushed under its own key, so ``delete.output["requested"]`` feeds a sensor.
    A job that no longer exists counts as ``already_gone``. When any job failed, every other job is still
    attempted, the report is pushed to XCom, and then the task fails listing the failures.
    """

    template_fields: Sequence[str] = ("conn_id", "job_ids", "job_filter", "service_params")
    template_fields_renderers = {"service_params": "json", "job_filter": "json"}
    operator_extra_links = (JobsConsoleLink(),)
    ui_color = "#f4c7c3"

    def __init__(
        self,
        *,
        conn_id: str,
        service: str | None = None,
        service_params: dict[str, Any] | str | None = None,
        job_ids: Any = None,
        job_filter: JobFilter | dict[str, Any] | None = None,
        dry_run: bool = False,
        max_jobs: int = 1000,
        allow_empty: bool = False,
        only_on_failure: bool = False,
        **kwargs: Any,
    ) -> None:
        named_params = pop_service_params(service, kwargs)  # also rejects an unknown service
        super().__init__(**kwargs)
        self.service_params = merge_service_params(service_params, named_params, self.task_id)
        if (job_ids is None) == (job_filter is None):
            raise InvalidInputError(f"task {self.task_id!r}: pass exactly one of job_ids or job_filter")
        if isinstance(max_jobs, bool) or not isinstance(max_jobs, int) or max_jobs < 1:
            raise InvalidInputError(f"task {self.task_id!r}: max_jobs must be a positive integer, got {max_jobs!r}")
        if isinstance(job_filter, JobFilter):
            job_filter = job_filter.to_dict()
        self.conn_id = conn_id
        self.service = service
        self.job_ids = job_ids
        self.job_filter = job_filter
        self.is_dry_run = dry_run  # BaseOperator.dry_run is a method; keep it intact
        self.max_jobs = max_jobs
        self.allow_empty = allow_empty
        self.only_on_failure = only_on_failure

    def execute(self, context: Context) -> dict[str, Any]:
        if self.only_on_failure and not self._upstream_failed(context):
            # Downstream confirm-gone tasks read these keys: an empty report lets them finish at once.
            empty = DeletionReport(service=self.service or "", requested=[], dry_run=self.is_dry_run).to_dict()
            self._push(context, empty)
            raise AirflowSkipException("only_on_failure: no upstream task failed, so there is nothing to clean up")
        hook = get_cleanup_hook(self.conn_id, self.service)
        params = hook.validate_params(self.service_params)
        self.console_url = hook.console_url(params)  # read by JobsConsoleLink after the task ran
        job_ids = self._select(hook, params)
        if not job_ids:
            self.log.info("No jobs to delete on %s", hook.service)
            report = hook.finish_report(hook.new_report([]))
        elif self.is_dry_run:
            report = hook.dry_run_report(job_ids, **params)
            self.log.info(
                "Dry run: would delete %d %s jobs: %s; %d already gone",
                len(report.would_delete),
                hook.service,
                _preview([f"{j} ({report.states.get(j)})" for j in report.would_delete]),
                len(report.already_gone),
            )
        else:
            self.log.info("Deleting %d %s jobs", len(job_ids), hook.service)
            try:
                report = hook.delete_jobs(job_ids, **params)
            except Exception as err:
                partial = getattr(err, "report", None)
                if isinstance(partial, DeletionReport):  # stopped part-way: still publish what was deleted
                    self._log_summary(partial)
                    self._push(context, partial.to_dict())
                    context["ti"].xcom_push(key="return_value", value=partial.to_dict())
                raise
        report.dry_run = self.is_dry_run
        result = report.to_dict()
        self._log_summary(report)
        self._push(context, result)
        if report.failed:
            context["ti"].xcom_push(key="return_value", value=result)
            raise JobCleanupError(_failure_message(report))
        return result

    @staticmethod
    def _push(context: Context, result: dict[str, Any]) -> None:
        """Each report field as its own XCom key, so ``delete.output["requested"]`` works downstream."""
        for key, value in result.items():
            context["ti"].xcom_push(key=key, value=value)

    def _upstream_failed(self, context: Context) -> bool:
        ti = context["ti"]
        found = ti.get_task_states(dag_id=ti.dag_id, task_ids=sorted(self.upstream_task_ids), run_ids=[ti.run_id])
        states = [state for per_run in found.values() for state in per_run.values()]
        self.log.info("only_on_failure: upstream states %s", states)
        return any(state in FAILED_STATES for state in states)

    def _select(self, hook: JobCleanupHook, params: dict[str, Any]) -> list[str]:
        """The exact job ids to act on: validated ``job_ids``, or one listing of the filter's matches."""
        if self.job_ids is not None:
            if self.allow_empty and self.job_ids in ([], (), "", "[]"):
                return []
            return hook.normalize_job_ids(self.job_ids, max_count=self.max_jobs)
        job_filter = hook.check_filter(JobFilter.from_value(self.job_filter or {}))
        listed = [job.job_id for job in hook.list_jobs(job_filter, **params)]
        self.log.info("Filter %s matched %d %s jobs", job_filter.to_dict(), len(listed), hook.service)
        return hook.normalize_job_ids(listed, max_count=self.max_jobs) if listed else []

    def _log_summary(self, report: DeletionReport) -> None:
        self.log.info(
            "%s: requested %d, deleted %d, already gone %d, failed %d, api calls %d%s",
            report.service,
            len(report.requested),
            len(report.deleted),
            len(report.already_gone),
            len(report.failed),
            report.api_calls,
            " (dry run)" if report.dry_run else "",
        )


def _preview(job_ids: list[str], limit: int = 20) -> str:
    shown = ", ".join(job_ids[:limit])
    return shown + (f" ... and {len(job_ids) - limit} more" if len(job_ids) > limit else "")


def _failure_message(report: DeletionReport) -> str:
    lines = [f"{job_id}: {reason}" for job_id, reason in list(report.failed.items())[:MAX_LISTED_FAILURES]]
    more = len(report.failed) - len(lines)
    if more > 0:
        lines.append(f"... and {more} more")
    return (
        f"{len(report.failed)} of {len(report.requested)} {report.service} jobs could not be deleted "
        f"({len(report.deleted)} deleted, {len(report.already_gone)} already gone):\n  " + "\n  ".join(lines)
    )
