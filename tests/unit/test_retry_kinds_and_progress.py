"""Which errors Airflow may retry, the operator and sensor signatures that make mapping work, the shared
wait-event handling and the progress callback."""

from __future__ import annotations

import inspect
import pickle

import pytest
from airflow.sdk.exceptions import AirflowFailException

from airflow_provider_jobcleanup import exceptions as exc
from airflow_provider_jobcleanup.models import DeletionReport
from airflow_provider_jobcleanup.operators.batch_delete import BatchDeleteJobsOperator
from airflow_provider_jobcleanup.progress import ProgressLog, preview
from airflow_provider_jobcleanup.sensors.jobs_gone import JobsGoneSensor
from airflow_provider_jobcleanup.services import SERVICES, all_params, service_arguments
from airflow_provider_jobcleanup.waiting import gone_from_event

PERMANENT = [
    exc.InvalidInputError,
    exc.InvalidJobIdError,
    exc.ConfigurationError,
    exc.AuthenticationError,
    exc.ClockSkewError,
    exc.PermissionDeniedError,
    exc.EndpointNotFoundError,
    exc.RedirectRefusedError,
    exc.UnexpectedAnswerError,
]
RETRYABLE = [
    exc.ThrottledError,
    exc.TransientServiceError,
    exc.TransportError,
    exc.JobsNotDeletedError,
    exc.JobsStillPresentError,
    exc.NotFoundError,
    exc.JobBusyError,
    exc.ApiError,
]


def _make(cls: type[exc.JobCleanupError]) -> exc.JobCleanupError:
    if issubclass(cls, exc.ApiError):
        return cls("refused", service="mrs", status_code=400, error_code="X", request_id="r-1")
    return cls("refused")


@pytest.mark.parametrize("cls", PERMANENT, ids=lambda c: c.__name__)
def test_permanent_errors_fail_the_task_without_retries(cls):
    error = _make(cls)
    assert isinstance(error, AirflowFailException) and isinstance(error, exc.PermanentError)
    assert isinstance(error, exc.JobCleanupError)
    revived = pickle.loads(pickle.dumps(error))  # errors cross process boundaries with their kind
    assert type(revived) is cls and isinstance(revived, AirflowFailException)


@pytest.mark.parametrize("cls", RETRYABLE, ids=lambda c: c.__name__)
def test_transient_errors_stay_retryable_by_airflow(cls):
    assert not isinstance(_make(cls), AirflowFailException)


def test_existing_relations_are_kept():
    assert issubclass(exc.InvalidInputError, ValueError)
    assert issubclass(exc.ConfigurationError, exc.InvalidInputError)
    assert issubclass(exc.ClockSkewError, exc.AuthenticationError)
    assert issubclass(exc.AuthenticationError, exc.ApiError) and exc.AuthenticationError.stops_run
    assert exc.TransportError.retryable and not exc.AuthenticationError.retryable


@pytest.mark.parametrize("task_class", [BatchDeleteJobsOperator, JobsGoneSensor], ids=lambda c: c.__name__)
def test_every_service_parameter_is_a_keyword_parameter(task_class):
    """What lets ``.expand(cluster_id=[...])`` pass Airflow's check of the operator's signature."""
    parameters = inspect.signature(task_class.__init__).parameters
    missing = sorted(all_params() - set(parameters))
    assert missing == [], f"add {missing} to {task_class.__name__}.__init__"
    assert all(parameters[name].default is None for name in all_params())


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_each_service_parameter_can_be_mapped(service):
    from airflow.sdk import DAG

    for name in SERVICES[service].param_names:
        with DAG(f"map_{service}_{name}", schedule=None):
            mapped = BatchDeleteJobsOperator.partial(
                task_id="delete", conn_id="c", service=service, job_ids=["1"]
            ).expand(**{name: ["a", "b"]})
            sensed = JobsGoneSensor.partial(task_id="gone", conn_id="c", service=service, job_ids=["1"]).expand(
                **{name: ["a", "b"]}
            )
        assert mapped.expand_input.value == {name: ["a", "b"]}
        assert sensed.expand_input.value == {name: ["a", "b"]}


def test_a_parameter_of_another_service_is_refused_at_parse_time():
    with pytest.raises(exc.InvalidInputError, match=r"'dli' does not take \['cluster_id'\]"):
        service_arguments("dli", {"cluster_id": "x", "job_ids": [1]}, "t")
    assert service_arguments(None, {"cluster_id": "x", "user": None}, "t") == {"cluster_id": "x"}


def test_trigger_events_become_results_or_the_right_error():
    assert gone_from_event({"status": "success", "gone": ["a"]}) == ["a"]
    with pytest.raises(exc.JobsStillPresentError, match="still present"):
        gone_from_event({"status": "timeout", "message": "1 of 1 mrs jobs still present"})
    with pytest.raises(exc.PermanentError):
        gone_from_event({"status": "error", "message": "refused", "permanent": True})
    with pytest.raises(exc.JobCleanupError) as caught:
        gone_from_event({"status": "error", "message": "outage"})
    assert not isinstance(caught.value, AirflowFailException)


def test_the_report_calls_on_progress_however_a_hook_records_outcomes():
    seen: list[int] = []
    report = DeletionReport("mrs", ["a", "b", "c", "d", "e"], on_progress=lambda r: seen.append(r.done))
    report.deleted.append("a")
    report.already_gone.extend(["b", "c"])
    report.failed["d"] = "running"
    report.failed.update({"e": "running"})
    assert seen == [1, 3, 4, 5]
    assert report.to_dict()["deleted"] == ["a"] and report.unaccounted == []
    report.on_progress = None
    assert pickle.loads(pickle.dumps(report)) == report


def test_progress_lines_are_throttled_and_name_the_scope():
    lines: list[str] = []
    report = DeletionReport("mrs", [str(i) for i in range(10_000)])
    every_time = ProgressLog(lines.append, "mrs cluster c1", 10_000, interval=0)
    report.deleted.extend(str(i) for i in range(2_990))
    report.already_gone.extend(str(i) for i in range(10))
    every_time(report)
    assert lines == ["mrs cluster c1: 3,000 of 10,000 jobs done (2,990 deleted, 10 already gone, 0 failed)"]
    rarely = ProgressLog(lines.append, "mrs cluster c1", 10_000, interval=3600)
    for _ in range(100):
        rarely(report)
    assert len(lines) == 1


def test_preview_caps_the_listed_ids():
    assert preview(["a", "b"]) == "a, b"
    assert preview([str(i) for i in range(60)], limit=50).endswith("48, 49 ... and 10 more")
