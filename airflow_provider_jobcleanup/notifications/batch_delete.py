"""``BatchDeleteJobsNotifier``: delete jobs from an ``on_failure_callback``, for DAGs that cannot change shape.

It runs in the failing task's process after the failure is recorded, so the failure stays visible; a cleanup
that fails is logged with its report, never raised, so it cannot hide or replace the pipeline's own error.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseNotifier

from airflow_provider_jobcleanup.job_ids import coerce_id_list
from airflow_provider_jobcleanup.services import get_cleanup_hook, get_spec

if TYPE_CHECKING:
    from airflow.sdk import Context

log = logging.getLogger(__name__)


class BatchDeleteJobsNotifier(BaseNotifier):
    """Deletes ``job_ids`` when called as a failure callback.

    :param conn_id: Airflow connection.
    :param service: as for the operator.
    :param job_ids: templated; typically ``"{{ ti.xcom_pull(task_ids='submit') }}"``.
    :param service_params: the service's own parameters (``{"cluster_id": ...}`` for MRS), templated.
    :param max_jobs: safety cap, as for the operator.
    """

    template_fields = ("conn_id", "job_ids", "service_params")

    def __init__(
        self,
        *,
        conn_id: str,
        job_ids: Any,
        service: str | None = None,
        service_params: dict[str, Any] | None = None,
        max_jobs: int = 1000,
    ) -> None:
        super().__init__()
        if service is not None:
            get_spec(service)
        self.conn_id = conn_id
        self.service = service
        self.job_ids = job_ids
        self.service_params = service_params or {}
        self.max_jobs = max_jobs
        #: the last report, for tests and for callers that chain notifiers
        self.last_report: dict[str, Any] | None = None

    def __call__(self, *args: Any) -> None:
        """Render templates for this call only: the notifier object is reused across task runs, and the
        base class renders in place, which would make a second run delete the first run's jobs."""
        templates = {name: getattr(self, name) for name in self.template_fields}
        try:
            super().__call__(*args)
        finally:
            for name, value in templates.items():
                setattr(self, name, value)

    def notify(self, context: Context) -> None:
        try:
            hook = get_cleanup_hook(self.conn_id, self.service)
            params = hook.validate_params(self.service_params)
            raw = coerce_id_list(self.job_ids)
            if not raw:
                log.info("failure cleanup: no job ids, nothing to delete")
                return
            job_ids = hook.normalize_job_ids(raw, max_count=self.max_jobs)
            report = hook.delete_jobs(job_ids, **params).to_dict()
        except Exception:
            log.exception("failure cleanup could not delete the jobs; the task's own failure stands")
            return
        self.last_report = report
        try:  # visible in the UI's XCom tab; best effort, the cleanup itself already happened
            context["ti"].xcom_push(key="failure_cleanup_report", value=report)
        except Exception:
            log.debug("could not push the failure cleanup report to XCom")
        log.info(
            "failure cleanup on %s: requested %d, deleted %d, already gone %d, failed %d",
            report["service"],
            len(report["requested"]),
            len(report["deleted"]),
            len(report["already_gone"]),
            len(report["failed"]),
        )
        if report["failed"]:
            log.error("failure cleanup left jobs behind: %s", report["failed"])
