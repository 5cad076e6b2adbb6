"""Cleanup as a teardown: the Flink jobs a run submitted are deleted whether the pipeline succeeds or fails.

``delete_and_confirm(setups=...)`` makes delete and confirm-gone teardowns of the submitting task, so they run
after the pipeline even when it fails, and the failure still fails the DAG run (teardowns do not decide the
run's state). Job ids come from the submitting task's XCom.

Connection ``huaweicloud_default`` (type ``huaweicloud``). ``make demo`` points it at the bundled emulator.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, task

from airflow_provider_jobcleanup.patterns import delete_and_confirm

with DAG(
    dag_id="example_dli_teardown_cleanup",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["jobcleanup", "example", "dli"],
):

    @task
    def submit_flink_jobs(**context) -> list[int]:
        """Stand-in for your submission step: returns the ids of the Flink jobs this run started.

        Here they come from the run's conf (``{"job_ids": [...]}``) so the example runs against the emulator.
        """
        return context["dag_run"].conf.get("job_ids", [])

    @task
    def process_results(**context) -> None:
        """Stand-in for the pipeline's work; ``{"simulate_failure": true}`` makes it fail."""
        if context["dag_run"].conf.get("simulate_failure"):
            raise RuntimeError("simulated pipeline failure")

    submitted = submit_flink_jobs()
    cleanup = delete_and_confirm(
        "cleanup_flink_jobs",
        conn_id="huaweicloud_default",
        service="dli",
        job_ids=submitted,
        setups=submitted,
        poke_interval=5,
        timeout=900,
    )
    submitted >> process_results() >> cleanup
