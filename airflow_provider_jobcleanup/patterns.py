"""Composed cleanup patterns: delete, then confirm gone, as one task group.

Given ``setups`` (the tasks that submitted the jobs), both tasks become teardowns of them: they run whether
the pipeline succeeded or failed (as long as the submission succeeded), and because teardowns do not decide
the DAG run's state, a failed pipeline still fails the run and a failing cleanup never masks it.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk import TaskGroup

from airflow_provider_jobcleanup.operators.batch_delete import BatchDeleteJobsOperator
from airflow_provider_jobcleanup.sensors.jobs_gone import JobsGoneSensor


def delete_and_confirm(
    group_id: str,
    *,
    conn_id: str,
    job_ids: Any,
    service: str | None = None,
    setups: Any = None,
    only_on_failure: bool = False,
    deferrable: bool = True,
    poke_interval: float = 30,
    timeout: float = 3600,
    max_jobs: int = 1000,
    **service_params: Any,
) -> TaskGroup:
    """Build ``delete >> confirm_gone`` in a task group and return it.

    :param setups: task(s) that submitted the jobs; when given, both tasks are their teardowns.
    :param only_on_failure: delete only when a task upstream of the cleanup failed.
    :param service_params: the service's own parameters (``cluster_id=`` for MRS...).
    """
    with TaskGroup(group_id) as group:
        delete = BatchDeleteJobsOperator(
            task_id="delete",
            conn_id=conn_id,
            service=service,
            job_ids=job_ids,
            max_jobs=max_jobs,
            only_on_failure=only_on_failure,
            allow_empty=True,
            service_params=dict(service_params),
        )
        confirm = JobsGoneSensor(
            task_id="confirm_gone",
            conn_id=conn_id,
            service=service,
            job_ids=delete.output["requested"],  # type: ignore[index]  # XComArg by key
            deferrable=deferrable,
            poke_interval=poke_interval,
            timeout=timeout,
            service_params=dict(service_params),
        )
        if setups is not None:
            delete.as_teardown(setups=setups)
            confirm.as_teardown(setups=setups)
        delete >> confirm
    return group
