"""Test DAGs: Airflow task retries on permanent and transient failures, delete-and-wait in one task, and a
delete mapped over MRS clusters. Connection, job ids and cluster come from ``dag_run.conf``."""

from __future__ import annotations

from datetime import timedelta

from airflow.sdk import DAG

from airflow_provider_jobcleanup.operators.batch_delete import BatchDeleteJobsOperator

CONF = {
    "conn_id": "{{ dag_run.conf['conn_id'] }}",
    "job_ids": "{{ dag_run.conf['job_ids'] }}",
    "service_params": "{{ dag_run.conf['service_params'] }}",
}

with DAG(dag_id="test_retries_mrs", schedule=None, render_template_as_native_obj=True, tags=["jobcleanup-test"]):
    BatchDeleteJobsOperator(task_id="delete", service="mrs", retries=2, retry_delay=timedelta(seconds=1), **CONF)

for mode in ("worker", "deferrable"):
    with DAG(
        dag_id=f"test_delete_and_wait_mrs_{mode}",
        schedule=None,
        render_template_as_native_obj=True,
        tags=["jobcleanup-test"],
    ):
        BatchDeleteJobsOperator(
            task_id="delete",
            service="mrs",
            wait_for_completion=True,
            deferrable=mode == "deferrable",
            poll_interval=1,
            timeout=60,
            **CONF,
        )

with DAG(
    dag_id="test_mapped_clusters_mrs",
    schedule=None,
    render_template_as_native_obj=True,
    tags=["jobcleanup-test"],
):
    BatchDeleteJobsOperator.partial(
        task_id="delete",
        conn_id="{{ dag_run.conf['conn_id'] }}",
        service="mrs",
        job_filter={"states": ["FAILED"]},
        wait_for_completion=True,
        poll_interval=1,
        timeout=60,
        map_index_template="{{ task.service_params['cluster_id'] }}",
    ).expand(cluster_id=["6a8c7f2e-1b3d-4e5f-8a9b-0c1d2e3f4a5b", "7b9d8a3f-2c4e-4f6a-9bac-1d2e3f4a5b6c"])
