"""``JobsGoneSensor``: wait until every listed job is gone (not found, or in the service's deleted state).

Works in ``poke``, ``reschedule`` and deferrable mode. Deferred, it hands the wait to
:class:`~airflow_provider_jobcleanup.triggers.jobs_gone.JobsGoneTrigger` with an absolute deadline, so a
triggerer restart does not extend the timeout.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue, conf
from airflow.sdk.exceptions import AirflowSkipException

from airflow_provider_jobcleanup.exceptions import JobsStillPresentError
from airflow_provider_jobcleanup.job_ids import coerce_id_list
from airflow_provider_jobcleanup.services import get_cleanup_hook, merge_service_params, service_arguments

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
    :param cluster_id: ... the service parameters by keyword, as for :class:`BatchDeleteJobsOperator`
        (``cluster_id`` for MRS, ``type``/``offline_platform`` for RES, ...); each can be mapped over with
        ``.expand()``.

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
        from airflow_provider_jobcleanup.waiting import describe_present, still_present

        label = hook.scope_label(params)
        if not job_ids:
            self.log.info("%s: no jobs to watch: done", label)
            return PokeReturnValue(is_done=True, xcom_value={"service": hook.service, "gone": []})
        remaining, states = still_present(hook, job_ids, params)
        if remaining:
            self.log.info("%s: %s", label, describe_present(hook.service, remaining, len(job_ids), states))
            return PokeReturnValue(is_done=False)
        self.log.info("%s: all %d jobs are gone", label, len(job_ids))
        return PokeReturnValue(is_done=True, xcom_value={"service": hook.service, "gone": job_ids})

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        from airflow_provider_jobcleanup.waiting import gone_trigger

        hook, params, job_ids = self._prepare()
        first = self._check(hook, params, job_ids)
        if first.is_done:
            return first.xcom_value
        self.defer(
            trigger=gone_trigger(
                conn_id=self.conn_id,
                service=hook.service,
                job_ids=job_ids,
                params=params,
                poll_interval=float(self.poke_interval),
                timeout=float(self.timeout),
            ),
            method_name="execute_complete",
            timeout=timedelta(seconds=float(self.timeout)),
        )

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        """Resume after the trigger fired: success returns the XCom; timeout or error fails (or skips)."""
        from airflow_provider_jobcleanup.waiting import gone_from_event

        try:
            gone = gone_from_event(event)
        except JobsStillPresentError as err:
            from airflow.sdk.exceptions import AirflowSensorTimeout

            if self.soft_fail:
                raise AirflowSkipException(str(err)) from None
            raise AirflowSensorTimeout(str(err)) from None
        return {"service": (event or {}).get("service"), "gone": gone}
