"""Cleanup from a failure callback, for DAGs that cannot change shape (no extra tasks allowed).

The task records the E-HPC Instant jobs it submits in XCom as it goes; if it fails, the notifier deletes
exactly those jobs. The task's own failure stands: the notifier logs its report (and pushes it to XCom as
``failure_cleanup_report``) but never raises, so it cannot hide or replace the original error.

Connection ``alibaba_ehpc_default`` (type ``alibaba_ehpc``). ``make demo`` points it at the bundled emulator.
"""

from __future__ import annotations

from datetime import datetime

from airflow.sdk import DAG, task

from airflow_provider_jobcleanup.notifications.batch_delete import BatchDeleteJobsNotifier

delete_submitted_jobs = BatchDeleteJobsNotifier(
    conn_id="alibaba_ehpc_default",
    service="ehpc",
    job_ids="{{ ti.xcom_pull(task_ids=ti.task_id, key='submitted_job_ids') or [] }}",
)

with DAG(
    dag_id="example_ehpc_failure_notifier",
    schedule=None,
    start_date=datetime(2026, 1, 1),
    catchup=False,
    tags=["jobcleanup", "example", "ehpc"],
):

    @task(on_failure_callback=delete_submitted_jobs)
    def run_simulation(**context) -> None:
        """Stand-in for a task that submits E-HPC jobs and then fails while waiting for them.

        Submission is simulated: the ids come from the run's conf (``{"job_ids": [...]}``).
        """
        job_ids = context["dag_run"].conf.get("job_ids", [])
        context["ti"].xcom_push(key="submitted_job_ids", value=job_ids)
        if context["dag_run"].conf.get("simulate_failure", True):
            raise RuntimeError("simulated failure after submitting the jobs")

    run_simulation()
