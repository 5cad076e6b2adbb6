"""Test DAGs: delete then confirm-gone, for every registered service and every sensor mode.

Everything run-specific (connection, job ids, service parameters) comes from ``dag_run.conf`` with native
rendering, so one DAG per (service, mode) serves every auth profile.
"""

from __future__ import annotations

from airflow.sdk import DAG

from airflow_provider_jobcleanup.operators.batch_delete import BatchDeleteJobsOperator
from airflow_provider_jobcleanup.sensors.jobs_gone import JobsGoneSensor
from airflow_provider_jobcleanup.services import SERVICES

MODES = ("poke", "reschedule", "deferrable")

for service in SERVICES:
    for mode in MODES:
        with DAG(
            dag_id=f"test_cleanup_{service}_{mode}",
            schedule=None,
            render_template_as_native_obj=True,
            tags=["jobcleanup-test"],
        ):
            delete = BatchDeleteJobsOperator(
                task_id="delete",
                conn_id="{{ dag_run.conf['conn_id'] }}",
                service=service,
                job_ids="{{ dag_run.conf['job_ids'] }}",
                service_params="{{ dag_run.conf['service_params'] }}",
            )
            JobsGoneSensor(
                task_id="confirm_gone",
                conn_id="{{ dag_run.conf['conn_id'] }}",
                service=service,
                job_ids=delete.output["requested"],
                service_params="{{ dag_run.conf['service_params'] }}",
                mode="reschedule" if mode == "reschedule" else "poke",
                deferrable=mode == "deferrable",
                poke_interval=1,
                timeout=120,
            )

        with DAG(
            dag_id=f"test_wait_{service}_{mode}",
            schedule=None,
            render_template_as_native_obj=True,
            tags=["jobcleanup-test"],
        ):
            JobsGoneSensor(
                task_id="confirm_gone",
                conn_id="{{ dag_run.conf['conn_id'] }}",
                service=service,
                job_ids="{{ dag_run.conf['job_ids'] }}",
                service_params="{{ dag_run.conf['service_params'] }}",
                mode="reschedule" if mode == "reschedule" else "poke",
                deferrable=mode == "deferrable",
                poke_interval=1,
                timeout=120,
            )
