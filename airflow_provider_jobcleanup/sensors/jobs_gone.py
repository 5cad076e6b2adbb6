"""``JobsGoneSensor``: wait until every listed job is gone (not found, or in the service's deleted state).

Works in ``poke``, ``reschedule`` and deferrable mode. Deferred, it hands the wait to
:class:`~airflow_provider_jobcleanup.triggers.jobs_gone.JobsGoneTrigger` with an absolute deadline, so a
triggerer restart does not extend the timeout.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue, conf
from airflow.sdk.exceptions import AirflowSkipException

from airflow_provider_jobcleanup.exceptions import JobCleanupError
from airflow_provider_jobcleanup.job_ids import coerce_id_list
from airflow_provider_jobcleanup.services import (
    get_cleanup_hook,
    merge_service_params,
    pop_service_params,
)

if TYPE_CHECKING:
    from airflow.sdk import Context


class JobsGoneSensor(BaseSensorOperator):
    """Succeeds when all ``job_ids`` are gone; the XCom lists them.

    :param conn_id: Airflow connection.
    :param service: as for :class:`BatchDeleteJobsOperator`.
    :param job_ids: the jobs to watch (templated; typically ``delete.output["requested"]``). An empty list
        succeeds at once: there is nothing to wait for.
    :param deferrable: wait in the triggerer instead of a worker slot (default from
        ``[operators] default_deferrable``).
    :param service_params: the service's own parameters as one dict (templated, so it can come from
        ``dag_run.conf`` or XCom); merged with the keyword form below.
    :param service_kwargs: the service's own parameters, as for the operator (``cluster_id=`` for MRS...).

    Load grows with tasks, not jobs: each poke makes one status call per page of jobs (never one per job).
    """

    template_fields: Sequence[str] = ("conn_id", "job_ids", "service_params")
    ui_color = "#d9ead3"

    def __init__(
        self,
        *,
        conn_id: str,
        job_ids: Any,
        service: str | None = None,
        service_params: dict[str, Any] | str | None = None,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        **kwargs: Any,
    ) -> None:
        named_params = pop_service_params(service, kwargs)  # also rejects an unknown service
        super().__init__(**kwargs)
        self.service_params = merge_service_params(service_params, named_params, self.task_id)
        self.conn_id = conn_id
        self.service = service
        self.job_ids = job_ids
        self.deferrable = deferrable

    def _prepare(self):
        hook = get_cleanup_hook(self.conn_id, self.service)
        params = hook.validate_params(self.service_params)
        raw = coerce_id_list(self.job_ids)
        job_ids = hook.normalize_job_ids(raw) if raw else []
        return hook, params, job_ids

    def poke(self, context: Context) -> PokeReturnValue:
        hook, params, job_ids = self._prepare()
        return self._check(hook, params, job_ids)

    def _check(self, hook, params: dict[str, Any], job_ids: list[str]) -> PokeReturnValue:
        if not job_ids:
            self.log.info("No jobs to watch: done")
            return PokeReturnValue(is_done=True, xcom_value={"service": hook.service, "gone": []})
        states = hook.get_job_states(job_ids, **params)
        remaining = [job_id for job_id in job_ids if not states[job_id].gone]
        if remaining:
            self.log.info(
                "%d of %d %s jobs still present, e.g. %s",
                len(remaining),
                len(job_ids),
                hook.service,
                ", ".join(f"{j} ({states[j].state})" for j in remaining[:5]),
            )
            return PokeReturnValue(is_done=False)
        self.log.info("All %d %s jobs are gone", len(job_ids), hook.service)
        return PokeReturnValue(is_done=True, xcom_value={"service": hook.service, "gone": job_ids})

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        from airflow_provider_jobcleanup.triggers.jobs_gone import JobsGoneTrigger

        hook, params, job_ids = self._prepare()
        first = self._check(hook, params, job_ids)
        if first.is_done:
            return first.xcom_value
        self.defer(
            trigger=JobsGoneTrigger(
                conn_id=self.conn_id,
                service=hook.service,
                job_ids=job_ids,
                service_params=params,
                poll_interval=float(self.poke_interval),
                end_time=time.time() + float(self.timeout),
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=float(self.timeout)),
        )

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        """Resume after the trigger fired: success returns the XCom; timeout or error fails (or skips)."""
        event = event or {}
        status = event.get("status")
        if status == "success":
            return {"service": event.get("service"), "gone": event.get("gone", [])}
        message = event.get("message") or f"unexpected trigger event {event!r}"
        if status == "timeout":
            from airflow.sdk.exceptions import AirflowSensorTimeout

            if self.soft_fail:
                raise AirflowSkipException(message)
            raise AirflowSensorTimeout(message)
        raise JobCleanupError(message)
