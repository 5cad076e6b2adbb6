"""``BatchDeleteJobsOperator``: delete a list (or a filtered snapshot) of jobs on any supported service, and
optionally wait until the service shows them gone.

Cloud-agnostic: it validates input, picks the hook for the service, and turns the hook's report into the
task's XCom. Nothing expensive happens at import or in ``__init__`` (DAG files import this on every parse).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator, conf
from airflow.sdk.exceptions import AirflowSkipException

from airflow_provider_jobcleanup.exceptions import InvalidInputError, JobsNotDeletedError
from airflow_provider_jobcleanup.links import JobsConsoleLink
from airflow_provider_jobcleanup.models import DeletionReport, JobFilter
from airflow_provider_jobcleanup.services import get_cleanup_hook, merge_service_params, service_arguments

if TYPE_CHECKING:
    from airflow.sdk import Context

    from airflow_provider_jobcleanup.hooks.base import JobCleanupHook

MAX_LISTED_FAILURES = 20
FAILED_STATES = ("failed", "upstream_failed")
#: extra seconds Airflow gives a deferred wait beyond ``timeout``, so the trigger's own timeout event (which
#: names the jobs still present) arrives before Airflow's deferral timeout
DEFERRAL_MARGIN = 60


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
    :param wait_for_completion: after deleting, wait until the service shows every deleted job gone (what
        :class:`JobsGoneSensor` does, in the same task); the report's ``confirmed_gone`` lists them.
    :param deferrable: with ``wait_for_completion``, wait in the triggerer instead of a worker slot (default
        from ``[operators] default_deferrable``).
    :param poll_interval: with ``wait_for_completion``, seconds between two status checks.
    :param timeout: with ``wait_for_completion``, seconds to wait before the task fails (retryable) with the
        jobs still present.
    :param service_params: the service's own parameters as one dict (templated, so it can come from
        ``dag_run.conf`` or XCom); merged with the keyword parameters below.
    :param cluster_id: MRS: the cluster the job executions belong to.
    :param kill_running: MRS: stop a running job execution, then delete it (default ``False``: it fails).
    :param job_manager_id: SCNet: the job manager (scheduler) the jobs live on (default: the connection
        extra, else discovered).
    :param user: SCNet: the cluster user owning the jobs (default: extra ``compute_user``, else discovered).
    :param job_managers: SCNet: ``{manager_id: [job ids]}`` for jobs spread over several managers.
    :param type: RES: the job type (``etl``, ``ranking``, ...).
    :param offline_platform: RES: the job's ``offline_platform`` object, as the RES API names it.
    :param task_spec: E-HPC: ``{job_id: [{"TaskName": ..., "ArrayIndex": [...]}]}``: delete only these tasks.
    :param executor_ids: E-HPC: ``["JobId-TaskName-ArrayIndex", ...]``: delete only these executors.
    :param job_scheduler: E-HPC: ``HPC`` (the API's default) or ``K8S``.

    Every service parameter can be mapped over: ``.partial(...).expand(cluster_id=[...])``.

    Returns (XCom) ``{"service", "requested", "deleted", "already_gone", "failed", "dry_run", "api_calls",
    "would_delete", "states", "confirmed_gone"}``; each field is also pushed under its own key, so
    ``delete.output["requested"]`` feeds a sensor. A job that no longer exists counts as ``already_gone``.
    When any job failed, every other job is still attempted, the report is pushed to XCom, and then the task
    fails (retryably: see :class:`~airflow_provider_jobcleanup.exceptions.JobsNotDeletedError`) listing the
    failures.
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
        wait_for_completion: bool = False,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float = 10,
        timeout: float = 1800,
        # service parameters (services.SERVICES), named after each service's API
        cluster_id: str | None = None,
        kill_running: bool | None = None,
        job_manager_id: str | None = None,
        user: str | None = None,
        job_managers: Any = None,
        type: str | None = None,
        offline_platform: Any = None,
        task_spec: Any = None,
        executor_ids: Any = None,
        job_scheduler: Any = None,
        **kwargs: Any,
    ) -> None:
        named_params = service_arguments(service, locals(), kwargs.get("task_id", ""))
        super().__init__(**kwargs)
        self.service_params = merge_service_params(service_params, named_params, self.task_id)
        if (job_ids is None) == (job_filter is None):
            raise InvalidInputError(f"task {self.task_id!r}: pass exactly one of job_ids or job_filter")
        if isinstance(max_jobs, bool) or not isinstance(max_jobs, int) or max_jobs < 1:
            raise InvalidInputError(f"task {self.task_id!r}: max_jobs must be a positive integer, got {max_jobs!r}")
        for name, value in (("poll_interval", poll_interval), ("timeout", timeout)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise InvalidInputError(f"task {self.task_id!r}: {name} must be a positive number, got {value!r}")
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
        self.wait_for_completion = wait_for_completion
        self.deferrable = deferrable
        self.poll_interval = float(poll_interval)
        self.timeout = float(timeout)

    def execute(self, context: Context) -> dict[str, Any] | None:
        if self.only_on_failure and not self._upstream_failed(context):
            # Downstream confirm-gone tasks read these keys: an empty report lets them finish at once.
            empty = DeletionReport(service=self.service or "", requested=[], dry_run=self.is_dry_run).to_dict()
            self._push(context, empty)
            raise AirflowSkipException("only_on_failure: no upstream task failed, so there is nothing to clean up")
        from airflow_provider_jobcleanup.progress import ProgressLog, preview

        hook = get_cleanup_hook(self.conn_id, self.service)
        params = hook.validate_params(self.service_params)
        label = hook.scope_label(params)
        self.console_url = hook.console_url(params)  # read by JobsConsoleLink after the task ran
        job_ids = self._select(hook, params, label)
        if not job_ids:
            self.log.info("%s: no jobs to delete", label)
            report = hook.finish_report(hook.new_report([]))
        elif self.is_dry_run:
            report = hook.dry_run_report(job_ids, **params)
            self.log.info(
                "%s: dry run: would delete %d jobs: %s; %d already gone",
                label,
                len(report.would_delete),
                preview([f"{j} ({report.states.get(j)})" for j in report.would_delete]),
                len(report.already_gone),
            )
        else:
            self.log.info("%s: deleting %d jobs", label, len(job_ids))
            hook.on_progress = ProgressLog(self.log.info, label, len(job_ids))
            try:
                report = hook.delete_jobs(job_ids, **params)
            except Exception as err:
                partial = getattr(err, "report", None)
                if isinstance(partial, DeletionReport):  # stopped part-way: still publish what was deleted
                    self._log_summary(label, partial)
                    self._push(context, partial.to_dict())
                    context["ti"].xcom_push(key="return_value", value=partial.to_dict())
                raise
            finally:
                hook.on_progress = None
        report.dry_run = self.is_dry_run
        result = report.to_dict()
        self._log_summary(label, report)
        self._push(context, result)
        if report.failed:
            context["ti"].xcom_push(key="return_value", value=result)
            raise JobsNotDeletedError(_failure_message(report))
        if self.wait_for_completion and report.deleted:
            return self._wait(context, hook, params, label, result)
        return result

    def _wait(
        self, context: Context, hook: JobCleanupHook, params: dict[str, Any], label: str, result: dict[str, Any]
    ) -> Any:
        """Wait until the deleted jobs are gone: in the triggerer when deferrable, else polling here."""
        from airflow_provider_jobcleanup.waiting import gone_trigger, wait_until_gone

        deleted = result["deleted"]
        # the deletion's report stays the XCom if the wait fails; a success replaces it with confirmed_gone
        context["ti"].xcom_push(key="return_value", value=result)
        self.log.info(
            "%s: waiting for the %d deleted jobs to be gone (every %g s, at most %g s%s)",
            label,
            len(deleted),
            self.poll_interval,
            self.timeout,
            ", in the triggerer" if self.deferrable else "",
        )
        if self.deferrable:
            self.defer(
                trigger=gone_trigger(
                    conn_id=self.conn_id,
                    service=hook.service,
                    job_ids=deleted,
                    params=params,
                    poll_interval=self.poll_interval,
                    timeout=self.timeout,
                ),
                method_name="execute_complete",
                kwargs={"report": result, "label": label},
                timeout=timedelta(seconds=self.timeout + DEFERRAL_MARGIN),
            )
        wait_until_gone(
            hook,
            deleted,
            params,
            poll_interval=self.poll_interval,
            timeout=self.timeout,
            log=lambda message: self.log.info("%s: %s", label, message),
        )
        return self._confirmed(context, result, deleted, label)

    def execute_complete(
        self, context: Context, event: dict[str, Any] | None = None, report: Any = None, label: str = ""
    ) -> dict[str, Any]:
        """Resume after the trigger fired: the report with ``confirmed_gone``; a timeout or error fails."""
        from airflow_provider_jobcleanup.waiting import gone_from_event

        gone = gone_from_event(event)
        # dag.test() resumes with the event only, without the deferral's kwargs
        if report is None:
            ti = context["ti"]
            report = ti.xcom_pull(task_ids=ti.task_id, key="return_value", map_indexes=ti.map_index)
        if not label:
            hook = get_cleanup_hook(self.conn_id, self.service)
            label = hook.scope_label(hook.validate_params(self.service_params))
        return self._confirmed(context, dict(report or {}), gone, label)

    def _confirmed(self, context: Context, result: dict[str, Any], gone: list[str], label: str) -> dict[str, Any]:
        self.log.info("%s: all %d deleted jobs confirmed gone", label, len(gone))
        context["ti"].xcom_push(key="confirmed_gone", value=list(gone))
        return {**result, "confirmed_gone": list(gone)}

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

    def _select(self, hook: JobCleanupHook, params: dict[str, Any], label: str) -> list[str]:
        """The exact job ids to act on: validated ``job_ids``, or one listing of the filter's matches."""
        if self.job_ids is not None:
            if self.allow_empty and self.job_ids in ([], (), "", "[]"):
                return []
            return hook.normalize_job_ids(self.job_ids, max_count=self.max_jobs)
        job_filter = hook.check_filter(JobFilter.from_value(self.job_filter or {}))
        listed = [job.job_id for job in hook.list_jobs(job_filter, **params)]
        self.log.info("%s: filter %s matched %d jobs", label, job_filter.to_dict(), len(listed))
        return hook.normalize_job_ids(listed, max_count=self.max_jobs) if listed else []

    def _log_summary(self, label: str, report: DeletionReport) -> None:
        from airflow_provider_jobcleanup.progress import preview

        self.log.info(
            "%s: requested %d, deleted %d, already gone %d, failed %d, api calls %d%s",
            label,
            len(report.requested),
            len(report.deleted),
            len(report.already_gone),
            len(report.failed),
            report.api_calls,
            " (dry run)" if report.dry_run else "",
        )
        if report.deleted:
            self.log.info("%s: deleted: %s", label, preview(report.deleted))
        if report.already_gone:
            self.log.info(
                "%s: already gone (not found, or already in the deleted state; nothing to delete): %s",
                label,
                preview(report.already_gone),
            )


def _failure_message(report: DeletionReport) -> str:
    lines = [f"{job_id}: {reason}" for job_id, reason in list(report.failed.items())[:MAX_LISTED_FAILURES]]
    more = len(report.failed) - len(lines)
    if more > 0:
        lines.append(f"... and {more} more")
    return (
        f"{len(report.failed)} of {len(report.requested)} {report.service} jobs could not be deleted "
        f"({len(report.deleted)} deleted, {len(report.already_gone)} already gone):\n  " + "\n  ".join(lines)
    )
