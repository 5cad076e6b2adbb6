"""DAGs of the distributed run (``make test-distributed``): every cleanup pattern, for every service.

Run-specific values (job ids, service parameters) come from ``dag_run.conf`` with native rendering:
``{"job_ids": [...], "service_params": {...}, "fail": bool}``. Each service family has its own connection id
(``AIRFLOW_CONN_*``, set by the harness for every Airflow process).

Tasks have ``retries=1`` by default: when a Celery worker dies mid-task, Airflow's heartbeat check fails the lost
try and runs it again on the surviving worker. Deleting again is harmless (the new try reports the first try's
deletions as ``already_gone``), which is what the run checks. The stand-ins for failing pipeline work have
``retries=0``: they fail once, as a pipeline would.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from airflow.sdk import DAG, task

from airflow_provider_jobcleanup.notifications.batch_delete import BatchDeleteJobsNotifier
from airflow_provider_jobcleanup.operators.batch_delete import BatchDeleteJobsOperator
from airflow_provider_jobcleanup.patterns import delete_and_confirm
from airflow_provider_jobcleanup.sensors.jobs_gone import JobsGoneSensor

CONN_IDS = {
    "ehpc": "dist_alibaba_ehpc",
    "scnet": "dist_scnet",
    "dli": "dist_huaweicloud",
    "mrs": "dist_huaweicloud",
    "res": "dist_huaweicloud",
}
DEFAULTS: dict[str, Any] = {"retries": 1, "retry_delay": timedelta(seconds=2)}
POLL = 2  # seconds between a sensor's or trigger's status checks
#: the deadline run's sensor timeout: long enough for the triggerer handover to happen before it
DEADLINE_SECONDS = 150
BULK_MAX_JOBS = 10_000

JOB_IDS = "{{ dag_run.conf['job_ids'] }}"
PARAMS = "{{ dag_run.conf['service_params'] }}"


def service_kwargs(service: str) -> dict[str, Any]:
    """The service's own parameters as keyword arguments (for ``delete_and_confirm``), from the conf."""
    names = {"mrs": ("cluster_id",), "res": ("type", "offline_platform")}.get(service, ())
    return {name: f"{{{{ dag_run.conf['service_params']['{name}'] }}}}" for name in names}


def dist_dag(dag_id: str) -> DAG:
    return DAG(
        dag_id=dag_id,
        schedule=None,
        render_template_as_native_obj=True,
        default_args=DEFAULTS,
        tags=["jobcleanup-distributed"],
    )


@task
def submit(**context):
    """Stand-in for the task that submitted the jobs: their ids come from the run's conf."""
    return context["dag_run"].conf["job_ids"]


@task(retries=0)
def work(**context):
    """Stand-in for the pipeline's own work; fails when the conf says so."""
    if context["dag_run"].conf.get("fail"):
        raise RuntimeError("the pipeline failed")


for service, conn_id in CONN_IDS.items():
    # Waits in the triggerer until the jobs are deleted by someone else (a dist_cleanup_* run).
    with dist_dag(f"dist_watch_{service}"):
        JobsGoneSensor(
            task_id="confirm_gone",
            conn_id=conn_id,
            service=service,
            job_ids=JOB_IDS,
            service_params=PARAMS,
            deferrable=True,
            poke_interval=POLL,
            timeout=900,
        )

    # Explicit ids, deleted then confirmed gone: the composed pattern.
    with dist_dag(f"dist_cleanup_{service}"):
        delete_and_confirm(
            "cleanup",
            conn_id=conn_id,
            service=service,
            job_ids=JOB_IDS,
            poke_interval=POLL,
            timeout=600,
            **service_kwargs(service),
        )

    # Teardown after failure: the pipeline fails, the cleanup still runs, the run stays failed.
    with dist_dag(f"dist_teardown_{service}"):
        submitted = submit()
        (
            submitted
            >> work()
            >> delete_and_confirm(
                "cleanup",
                conn_id=conn_id,
                service=service,
                job_ids=submitted,
                setups=submitted,
                poke_interval=POLL,
                timeout=600,
                **service_kwargs(service),
            )
        )

    # Cleanup only on failure, from a failure callback (DAGs that cannot change shape).
    with dist_dag(f"dist_notifier_{service}"):

        @task(
            retries=0,
            on_failure_callback=BatchDeleteJobsNotifier(
                conn_id=conn_id, service=service, job_ids=JOB_IDS, service_params=PARAMS
            ),
        )
        def pipeline_step(**context):
            raise RuntimeError("the pipeline failed")

        pipeline_step()


# Sensor on jobs nobody deletes: it must time out at the deadline fixed when it deferred, even though the
# triggerer running it is killed and another one takes it over.
with dist_dag("dist_deadline"):
    JobsGoneSensor(
        task_id="confirm_gone",
        conn_id=CONN_IDS["mrs"],
        service="mrs",
        job_ids=JOB_IDS,
        service_params=PARAMS,
        deferrable=True,
        poke_interval=POLL,
        timeout=DEADLINE_SECONDS,
        retries=0,
    )

# Teardown that runs only when the pipeline failed: this one succeeds, so nothing is deleted.
with dist_dag("dist_teardown_only_on_failure_mrs"):
    submitted = submit()
    (
        submitted
        >> work()
        >> delete_and_confirm(
            "cleanup",
            conn_id=CONN_IDS["mrs"],
            service="mrs",
            job_ids=submitted,
            setups=submitted,
            only_on_failure=True,
            poke_interval=POLL,
            timeout=600,
            **service_kwargs("mrs"),
        )
    )

# Scheduled filter cleanup at scale: one listing, then exactly that snapshot (10,000 jobs) deleted.
with dist_dag("dist_bulk_filter_cleanup"):
    bulk = BatchDeleteJobsOperator(
        task_id="delete",
        conn_id=CONN_IDS["mrs"],
        service="mrs",
        job_filter="{{ dag_run.conf['job_filter'] }}",
        service_params=PARAMS,
        max_jobs=BULK_MAX_JOBS,
    )
    bulk >> JobsGoneSensor(
        task_id="confirm_gone",
        conn_id=CONN_IDS["mrs"],
        service="mrs",
        job_ids=bulk.output["requested"],
        service_params=PARAMS,
        deferrable=True,
        poke_interval=POLL,
        timeout=600,
    )

# Filter cleanup of stuck queued SCNet jobs.
with dist_dag("dist_scnet_stuck_cleanup"):
    stuck = BatchDeleteJobsOperator(
        task_id="delete",
        conn_id=CONN_IDS["scnet"],
        service="scnet",
        job_filter="{{ dag_run.conf['job_filter'] }}",
        service_params=PARAMS,
    )
    stuck >> JobsGoneSensor(
        task_id="confirm_gone",
        conn_id=CONN_IDS["scnet"],
        service="scnet",
        job_ids=stuck.output["deleted"],
        service_params=PARAMS,
        deferrable=True,
        poke_interval=POLL,
        timeout=600,
    )

# The delete whose Celery worker is killed mid-run; Airflow runs it again on the other worker.
with dist_dag("dist_delete_retried"):
    retried = BatchDeleteJobsOperator(
        task_id="delete",
        conn_id=CONN_IDS["dli"],
        service="dli",
        job_ids=JOB_IDS,
        service_params=PARAMS,
        max_jobs=BULK_MAX_JOBS,
        retries=2,
    )
    retried >> JobsGoneSensor(
        task_id="confirm_gone",
        conn_id=CONN_IDS["dli"],
        service="dli",
        job_ids=retried.output["requested"],
        service_params=PARAMS,
        deferrable=True,
        poke_interval=POLL,
        timeout=600,
    )
