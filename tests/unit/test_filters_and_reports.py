"""``JobFilter``, durations and the report's failure bookkeeping. Selection decides what gets deleted, so each
criterion is pinned at its edges, and a filter the provider does not understand is refused, never widened."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from airflow_provider_jobcleanup.exceptions import InvalidInputError
from airflow_provider_jobcleanup.job_ids import MAX_SHOWN, coerce_id_list, coerce_params
from airflow_provider_jobcleanup.models import JobFilter, JobInfo, parse_duration

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)


def job(state: str | None = "FAILED", name: str | None = "etl-1", age: timedelta | None = timedelta(days=2)):
    return JobInfo(job_id="1", state=state, name=name, created_at=None if age is None else NOW - age)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7d", timedelta(days=7)), ("12h", timedelta(hours=12)), ("30m", timedelta(minutes=30)),
        ("45s", timedelta(seconds=45)), ("2w", timedelta(weeks=2)), (" 1.5h ", timedelta(minutes=90)),
        (3600, timedelta(hours=1)), (0.5, timedelta(seconds=0.5)), (0, timedelta(0)),
        (timedelta(minutes=3), timedelta(minutes=3)),
    ],
)  # fmt: skip
def test_durations_are_read_in_their_unit(value, expected):
    assert parse_duration(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "older_than must be a duration, got True"),
        ("7 days", "older_than must be a duration such as '7d', '12h' or seconds, got '7 days'"),
        ("7y", "older_than must be a duration such as '7d', '12h' or seconds, got '7y'"),
        (None, "older_than must be a duration such as '7d', '12h' or seconds, got None"),
        (-5, "older_than must not be negative, got -5"),
        (timedelta(seconds=-1), "older_than must not be negative, got datetime.timedelta(days=-1, seconds=86399)"),
    ],
)
def test_a_duration_the_provider_does_not_understand_is_refused(value, message):
    with pytest.raises(ValueError) as caught:
        parse_duration(value)
    assert str(caught.value) == message


def test_a_filter_is_built_from_its_dict_form():
    built = JobFilter.from_value({"states": ["FAILED", "killed"], "older_than": "1d", "name_pattern": "etl-*"})
    assert built == JobFilter(states=("FAILED", "killed"), older_than=timedelta(days=1), name_pattern="etl-*")
    assert JobFilter.from_value({"state": "FAILED"}) == JobFilter(states=("FAILED",))
    assert JobFilter.from_value({"states": "FAILED"}) == JobFilter(states=("FAILED",))
    assert JobFilter.from_value({}) == JobFilter()
    assert JobFilter.from_value(built) is built


def test_the_dict_form_round_trips():
    built = JobFilter(states=("FAILED",), older_than=timedelta(hours=2), name_pattern="etl-*")
    assert built.to_dict() == {"states": ["FAILED"], "older_than": 7200.0, "name_pattern": "etl-*"}
    assert JobFilter.from_value(built.to_dict()) == built
    assert JobFilter().to_dict() == {"states": [], "older_than": None, "name_pattern": None}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["FAILED"], "job_filter must be a dict or JobFilter, got list: ['FAILED']"),
        (
            {"stat": "x", "state": "y"},
            "job_filter has unknown keys ['stat']; allowed: states, older_than, name_pattern",
        ),
        ({"states": [""]}, "job_filter states must be a list of state names, got ['']"),
        ({"states": [3]}, "job_filter states must be a list of state names, got [3]"),
        ({"states": 3}, "job_filter states must be a list of state names, got 3"),
        ({"name_pattern": 7}, "job_filter name_pattern must be a string, got 7"),
        ({"older_than": "soon"}, "older_than must be a duration such as '7d', '12h' or seconds, got 'soon'"),
    ],
)
def test_a_filter_the_provider_does_not_understand_is_refused(value, message):
    with pytest.raises(ValueError) as caught:
        JobFilter.from_value(value)
    assert str(caught.value) == message


def test_states_match_case_insensitively_and_an_unknown_state_never_matches():
    only_failed = JobFilter(states=("failed", "KILLED"))
    assert only_failed.matches(job(state="FAILED"), NOW)
    assert only_failed.matches(job(state="killed"), NOW)
    assert not only_failed.matches(job(state="RUNNING"), NOW)
    assert not only_failed.matches(job(state=None), NOW)
    assert JobFilter().matches(job(state=None), NOW)


def test_age_matches_at_the_boundary_and_an_unknown_age_never_matches():
    day_old = JobFilter(older_than=timedelta(days=1))
    assert day_old.matches(job(age=timedelta(days=1)), NOW)
    assert not day_old.matches(job(age=timedelta(days=1) - timedelta(seconds=1)), NOW)
    assert not day_old.matches(job(age=None), NOW)
    assert day_old.matches(job(age=timedelta(days=400)))  # without ``now``: the current time
    assert not day_old.matches(JobInfo(job_id="1", created_at=datetime.now(timezone.utc)))


def test_names_match_the_glob_exactly_and_a_nameless_job_never_matches_a_pattern():
    etl = JobFilter(name_pattern="etl-*")
    assert etl.matches(job(name="etl-1"), NOW)
    assert not etl.matches(job(name="ETL-1"), NOW)  # case-sensitive, as job names are
    assert not etl.matches(job(name="my-etl-1"), NOW)
    assert not etl.matches(job(name=None), NOW)
    assert not JobFilter(name_pattern="X*").matches(job(name=None), NOW)  # a missing name is the empty name
    assert JobFilter(name_pattern="*").matches(job(name=None), NOW)
    assert JobFilter().matches(job(name=None), NOW)


def test_every_criterion_must_pass():
    strict = JobFilter(states=("FAILED",), older_than=timedelta(days=1), name_pattern="etl-*")
    assert strict.matches(job(), NOW)
    assert not strict.matches(job(state="RUNNING"), NOW)
    assert not strict.matches(job(age=timedelta(hours=1)), NOW)
    assert not strict.matches(job(name="other"), NOW)


def test_long_rejected_input_is_shown_shortened_in_the_error():
    long_text = "x" * 200
    with pytest.raises(InvalidInputError) as caught:
        coerce_id_list(long_text)
    shown = repr(long_text)[: MAX_SHOWN - 3] + "..."
    assert str(caught.value) == f"job_ids must be a list of job ids, got the string {shown}"
    exact = "y" * (MAX_SHOWN - 2)  # its repr is exactly MAX_SHOWN characters: shown whole
    with pytest.raises(InvalidInputError) as caught:
        coerce_params(exact)
    assert str(caught.value) == f"service_params must be a dict, got the string {exact!r}"
    with pytest.raises(InvalidInputError) as caught:
        coerce_params(["a"] * 100)
    assert str(caught.value) == f"service_params must be a dict, got list: {repr(['a'] * 100)[:77]}..."


def test_failures_recorded_in_bulk_keep_their_reasons_and_are_reported_as_progress():
    from airflow_provider_jobcleanup.models import DeletionReport

    seen: list[int] = []
    report = DeletionReport(service="mrs", requested=["a", "b", "c"])
    report.on_progress = lambda r: seen.append(len(r.failed))
    report.failed.update({"a": "refused"}, b="busy")
    assert report.failed == {"a": "refused", "b": "busy"}
    assert seen == [1, 2]
    assert report.unaccounted == ["c"]


def test_the_failure_message_counts_what_it_leaves_out():
    from airflow_provider_jobcleanup.models import DeletionReport
    from airflow_provider_jobcleanup.operators.batch_delete import MAX_LISTED_FAILURES, _failure_message

    report = DeletionReport(service="dli", requested=[str(i) for i in range(MAX_LISTED_FAILURES + 1)])
    report.failed.update({str(i): "refused" for i in range(MAX_LISTED_FAILURES + 1)})
    lines = _failure_message(report).split("\n  ")
    assert len(lines) == 1 + MAX_LISTED_FAILURES + 1 and lines[-1] == "... and 1 more"
    assert lines[0] == "21 of 21 dli jobs could not be deleted (0 deleted, 0 already gone):"


def test_the_default_error_parser_names_the_service_and_passes_success():
    from requests.structures import CaseInsensitiveDict

    from airflow_provider_jobcleanup.answers import Answer, default_error_parser
    from airflow_provider_jobcleanup.exceptions import TransientServiceError

    parse = default_error_parser("mrs")
    failed = parse(Answer(503, CaseInsensitiveDict(), b"", reason="Service Unavailable"))
    assert isinstance(failed, TransientServiceError) and failed.service == "mrs" and failed.status_code == 503
    assert parse(Answer(200, CaseInsensitiveDict(), b"{}")) is None
    assert parse(Answer(204, CaseInsensitiveDict(), b"")) is None


def test_an_outcome_is_one_of_three_kinds():
    from airflow_provider_jobcleanup.models import Outcome

    assert [Outcome(kind).kind for kind in ("deleted", "already_gone")] == ["deleted", "already_gone"]
    assert Outcome.failure("refused") == Outcome("failed", "refused")
    with pytest.raises(ValueError) as caught:
        Outcome("gone")  # type: ignore[arg-type]
    assert str(caught.value) == "unknown outcome kind 'gone'"
