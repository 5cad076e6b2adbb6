"""Cleanup only after failure: RES jobs of a failed run are deleted; a successful run keeps them.

``only_on_failure=True`` makes the teardown skip (delete nothing) unless a task before it failed, for jobs
whose results are needed when the pipeline succeeds. RES deletes one job per call; the hook runs them with
bounded concurrency. ``type`` and ``offline_platform`` are the RES API's own parameters.

Connection ``huaweicloud_default`` (type ``huaweicloud``). ``make demo`` points it at the bundled emulator.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, task

from airflow_provider_jobcleanup.patterns import delete_and_confirm

OFFLINE_PLATFORM = {
    "platform": "DLI",
    "platform_parameter": {"cluster_name": "res-offline-queue"},
}

with DAG(
    dag_id="example_res_cleanup_on_failure",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["jobcleanup", "example", "res"],
):

    @task
    def submit_etl_jobs(**context) -> list[str]:
        """Stand-in for your submission step (here: ids from the run's conf ``{"job_ids": [...]}``)."""
        return context["dag_run"].conf.get("job_ids", [])

    @task
    def build_recommendations(**context) -> None:
        """Stand-in for the pipeline's work; ``{"simulate_failure": true}`` makes it fail."""
        if context["dag_run"].conf.get("simulate_failure"):
            raise RuntimeError("simulated pipeline failure")

    submitted = submit_etl_jobs()
    cleanup = delete_and_confirm(
        "cleanup_etl_jobs",
        conn_id="huaweicloud_default",
        service="res",
        job_ids=submitted,
        setups=submitted,
        only_on_failure=True,
        poke_interval=5,
        timeout=900,
        type="etl",
        offline_platform=OFFLINE_PLATFORM,
    )
    submitted >> build_recommendations() >> cleanup
