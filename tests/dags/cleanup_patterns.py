"""Test DAGs for cleanup after failure: teardown task group (always / only on failure) and the notifier.

``dag_run.conf``: ``conn_id``, ``job_ids`` (jobs the "submit" task pretends to have submitted),
``cluster_id``, ``fail`` (whether the pipeline's work task fails).
"""

from __future__ import annotations

from airflow.sdk import DAG, task

from airflow_provider_jobcleanup.notifications.batch_delete import BatchDeleteJobsNotifier
from airflow_provider_jobcleanup.patterns import delete_and_confirm


@task
def submit(**context):
    return context["dag_run"].conf["job_ids"]


@task
def work(**context):
    if context["dag_run"].conf.get("fail"):
        raise RuntimeError("the pipeline failed")


for only_on_failure in (False, True):
    with DAG(
        dag_id=f"test_teardown_{'on_failure' if only_on_failure else 'always'}",
        schedule=None,
        render_template_as_native_obj=True,
    ):
        submitted = submit()
        cleanup = delete_and_confirm(
            "cleanup",
            conn_id="{{ dag_run.conf['conn_id'] }}",
            service="mrs",
            job_ids=submitted,
            setups=submitted,
            only_on_failure=only_on_failure,
            poke_interval=1,
            timeout=60,
            cluster_id="{{ dag_run.conf['cluster_id'] }}",
        )
        submitted >> work() >> cleanup


with DAG(dag_id="test_failure_notifier", schedule=None, render_template_as_native_obj=True):

    @task(
        on_failure_callback=BatchDeleteJobsNotifier(
            conn_id="{{ dag_run.conf['conn_id'] }}",
            service="mrs",
            job_ids="{{ dag_run.conf['job_ids'] }}",
            service_params={"cluster_id": "{{ dag_run.conf['cluster_id'] }}"},
        )
    )
    def pipeline_step(**context):
        raise RuntimeError("the pipeline failed")

    pipeline_step()
