"""Service parameters given to the operator and the sensor are checked against the service when the DAG is
parsed, and the errors name the task."""

from __future__ import annotations

import pytest

from airflow_provider_jobcleanup.exceptions import InvalidInputError
from airflow_provider_jobcleanup.operators.batch_delete import BatchDeleteJobsOperator
from airflow_provider_jobcleanup.sensors.jobs_gone import JobsGoneSensor

TASKS = [BatchDeleteJobsOperator, JobsGoneSensor]


@pytest.mark.parametrize("task_class", TASKS, ids=lambda c: c.__name__)
def test_a_parameter_the_service_does_not_take_is_refused_naming_the_task(task_class):
    with pytest.raises(InvalidInputError) as caught:
        task_class(task_id="t1", conn_id="c", service="scnet", job_ids=["1"], cluster_id="x")
    assert str(caught.value).startswith("task 't1': service 'scnet' does not take ['cluster_id']; it takes [")


@pytest.mark.parametrize("task_class", TASKS, ids=lambda c: c.__name__)
def test_parameters_given_twice_are_refused_and_the_rest_merged(task_class):
    with pytest.raises(InvalidInputError) as caught:
        task_class(task_id="t2", conn_id="c", service="scnet", job_ids=["1"], service_params={"user": "a"}, user="b")
    assert str(caught.value) == "task 't2': ['user'] given both in service_params and by keyword"
    merged = task_class(
        task_id="t3", conn_id="c", service="scnet", job_ids=["1"], service_params={"user": "a"}, job_manager_id="9"
    )
    assert merged.service_params == {"user": "a", "job_manager_id": "9"}


@pytest.mark.parametrize(
    ("service", "bad", "expected"),
    [
        ("mrs", "job-1", "a mrs job id: a job execution UUID such as 3c7a5a6e-2f0b-4d6b-9d0e-0f4b5c1e2a7d"),
        ("dli", "0", "a dli job id: a positive integer Flink job id such as 12 (an int or a string of digits)"),
        ("res", "a b", "a res job id: 1-64 letters, digits, '-' or '_'"),
        ("ehpc", "JOB-1", "a ehpc job id: 'job-' and 4-64 letters or digits, e.g. job-hy1p5sqqtaq2hxs1"),
        (
            "scnet",
            "x;y",
            "a scnet job id: a scheduler job id (digits such as 35918, or an array element such as 35918_3), "
            "optionally prefixed by its cluster user as alice:35918",
        ),
    ],
)
def test_an_invalid_id_is_refused_naming_the_shape_the_service_takes(service, bad, expected):
    from airflow_provider_jobcleanup.exceptions import InvalidJobIdError
    from airflow_provider_jobcleanup.services import get_cleanup_hook

    hook = get_cleanup_hook("never_fetched", service)
    for call in (hook.delete_jobs, hook.get_job_states, hook.dry_run_report):
        with pytest.raises(InvalidJobIdError) as caught:
            call(["7", bad] if service == "dli" else [bad])
        assert str(caught.value) == f"invalid job id {bad!r}: expected {expected}"
    assert hook.api_calls == 0
