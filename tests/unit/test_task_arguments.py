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
