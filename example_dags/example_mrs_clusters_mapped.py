"""Clean several MRS clusters with one mapped task: per cluster, delete the failed job executions older than a
day and wait, in the same task, until MRS shows them gone.

``.expand(cluster_id=[...])`` makes one task instance per cluster; each is named after its cluster in the
UI (``map_index_template``) and in its log lines (``mrs cluster 6a8c...: deleting 6 jobs``), and fails or
retries on its own. The report of each instance lists ``confirmed_gone``.

Connection ``huaweicloud_default`` (type ``huaweicloud``). ``make demo`` points it at the bundled emulator.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG

from airflow_provider_jobcleanup.operators.batch_delete import BatchDeleteJobsOperator

# Replace with your MRS cluster ids; these two exist in the bundled emulator.
CLUSTER_IDS = ["6a8c7f2e-1b3d-4e5f-8a9b-0c1d2e3f4a5b", "7b9d8a3f-2c4e-4f6a-9bac-1d2e3f4a5b6c"]

with DAG(
    dag_id="example_mrs_clusters_mapped",
    schedule="0 4 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["jobcleanup", "example", "mrs"],
):
    BatchDeleteJobsOperator.partial(
        task_id="delete_failed_jobs",
        conn_id="huaweicloud_default",
        service="mrs",
        job_filter={"states": ["FAILED"], "older_than": "1d"},
        max_jobs=1000,
        wait_for_completion=True,  # delete, then wait until MRS shows the deleted jobs gone
        deferrable=True,  # wait in the triggerer, not in a worker slot
        poll_interval=5,
        timeout=1800,
        map_index_template="{{ task.service_params['cluster_id'] }}",
    ).expand(cluster_id=CLUSTER_IDS)
