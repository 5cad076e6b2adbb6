"""Scheduled SCNet cleanup: delete jobs stuck in the queue for more than a day, then confirm they are gone.

The operator lists the matching jobs once (realtime list of the discovered job manager) and deletes exactly
that snapshot; ``dry_run=True`` would only report them. The login, the HPC URL, the job manager and the
cluster user are discovered from the connection.

Connection ``scnet_default`` (type ``scnet``). ``make demo`` points it at the bundled emulator.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_jobcleanup.operators.batch_delete import BatchDeleteJobsOperator
from airflow_provider_jobcleanup.sensors.jobs_gone import JobsGoneSensor

with DAG(
    dag_id="example_scnet_stuck_jobs_cleanup",
    schedule="@hourly",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["jobcleanup", "example", "scnet"],
):
    delete_stuck = BatchDeleteJobsOperator(
        task_id="delete_stuck_queued_jobs",
        conn_id="scnet_default",
        job_filter={"states": ["statQ"], "older_than": "1d"},
        max_jobs=500,
    )
    JobsGoneSensor(
        task_id="confirm_gone",
        conn_id="scnet_default",
        job_ids=delete_stuck.output["deleted"],
        deferrable=True,
        poke_interval=10,
        timeout=1800,
    )
