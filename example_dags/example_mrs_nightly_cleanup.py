"""Nightly MRS cleanup: delete failed job executions older than 7 days, then confirm they are gone.

The operator lists the matching jobs once and deletes exactly that snapshot (a job that fails later tonight
is left for tomorrow); ``max_jobs`` stops a surprising selection before anything is deleted. The sensor
waits in the triggerer, not in a worker slot.

Connection ``huaweicloud_default`` (type ``huaweicloud``). ``make demo`` points it at the bundled emulator.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, Param

from airflow_provider_jobcleanup.operators.batch_delete import BatchDeleteJobsOperator
from airflow_provider_jobcleanup.sensors.jobs_gone import JobsGoneSensor

with DAG(
    dag_id="example_mrs_nightly_cleanup",
    schedule="0 3 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["jobcleanup", "example", "mrs"],
    params={
        # Replace with your MRS cluster id; this one is the emulator's default cluster.
        "cluster_id": Param("6a8c7f2e-1b3d-4e5f-8a9b-0c1d2e3f4a5b", type="string"),
        "older_than": Param("7d", type="string"),
    },
) as dag:
    delete_failed = BatchDeleteJobsOperator(
        task_id="delete_failed_job_executions",
        conn_id="huaweicloud_default",
        service="mrs",
        cluster_id="{{ params.cluster_id }}",
        job_filter={"states": ["FAILED"], "older_than": "{{ params.older_than }}"},
        dry_run=False,  # True: report what would be deleted, delete nothing
        max_jobs=1000,
    )

    confirm_gone = JobsGoneSensor(
        task_id="confirm_gone",
        conn_id="huaweicloud_default",
        service="mrs",
        cluster_id="{{ params.cluster_id }}",
        job_ids=delete_failed.output["deleted"],
        deferrable=True,
        poke_interval=10,
        timeout=1800,
    )

    delete_failed >> confirm_gone
