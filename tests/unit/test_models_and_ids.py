"""Job-id validation and filters: pure functions, no network."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from airflow_provider_jobcleanup.exceptions import InvalidInputError, InvalidJobIdError
from airflow_provider_jobcleanup.job_ids import coerce_params, normalize_job_ids
from airflow_provider_jobcleanup.models import JobFilter, JobInfo, parse_duration

DIGITS = re.compile(r"[1-9][0-9]{0,18}")


def norm(value, **kw):
    return normalize_job_ids(value, pattern=DIGITS, description="digits", **kw)


def test_ids_are_deduplicated_in_order_and_stringified():
    assert norm([3, "1", 3, "2", 1]) == ["3", "1", "2"]


@pytest.mark.parametrize("bad", [[True], [1.5], [None], [{"a": 1}], ["01"], [" 1"], ["1; rm"], [-1]])
def test_bad_ids_name_the_value(bad):
    with pytest.raises(InvalidJobIdError, match=re.escape(repr(bad[0])[:10])):
        norm(bad)


def test_jinja_rendered_lists_are_accepted_and_garbage_rejected():
    assert norm("[1, 2]") == ["1", "2"]
    assert norm("['1', '2']") == ["1", "2"]
    with pytest.raises(InvalidInputError, match="string"):
        norm("None")
    with pytest.raises(InvalidInputError, match="list"):
        norm(12)


def test_cap_is_applied_after_deduplication():
    assert norm(["1"] * 50, max_count=1) == ["1"]
    with pytest.raises(InvalidInputError, match="max_jobs=1"):
        norm(["1", "2"], max_count=1)


def test_params_coercion():
    assert coerce_params("{'cluster_id': 'x'}") == {"cluster_id": "x"}
    with pytest.raises(InvalidInputError):
        coerce_params("cluster_id=x")


def test_durations():
    assert parse_duration("7d") == timedelta(days=7)
    assert parse_duration(90) == timedelta(seconds=90)
    with pytest.raises(ValueError):
        parse_duration("soon")


def test_filter_matching():
    now = datetime(2026, 11, 22, tzinfo=timezone.utc)
    flt = JobFilter.from_value({"states": ["failed"], "older_than": "1d", "name_pattern": "etl-*"})
    old = now - timedelta(days=2)
    assert flt.matches(JobInfo("1", "FAILED", "etl-1", old), now)
    assert not flt.matches(JobInfo("1", "RUNNING", "etl-1", old), now)
    assert not flt.matches(JobInfo("1", "FAILED", "etl-1", now), now)
    assert not flt.matches(JobInfo("1", "FAILED", "report", old), now)
    assert not flt.matches(JobInfo("1", "FAILED", "etl-1", None), now)
    with pytest.raises(ValueError, match="unknown keys"):
        JobFilter.from_value({"stat": "x"})


@pytest.mark.parametrize(
    ("value", "kind", "message"),
    [
        ([], InvalidInputError, "job_ids is empty: there is nothing to delete"),
        ("[]", InvalidInputError, "job_ids is empty: there is nothing to delete"),
        (12, InvalidInputError, "job_ids must be a list of job ids, got int: 12"),
        ({"1": 1}, InvalidInputError, "job_ids must be a list of job ids, got dict: {'1': 1}"),
        ("12", InvalidInputError, "job_ids must be a list of job ids, got the string '12'"),
        ("[1, ", InvalidInputError, "job_ids must be a list of job ids, got the string '[1, '"),
        (["1", "x"], InvalidJobIdError, "invalid job id 'x': expected digits"),
        ([1.5], InvalidJobIdError, "invalid job id 1.5 (float): expected digits"),
        ([True], InvalidJobIdError, "invalid job id True (bool): expected digits"),
        ([None], InvalidJobIdError, "invalid job id None (NoneType): expected digits"),
    ],
)
def test_a_refusal_names_the_argument_and_the_value(value, kind, message):
    with pytest.raises(InvalidInputError) as caught:
        norm(value)
    assert type(caught.value) is kind
    assert str(caught.value) == message


def test_the_cap_message_counts_distinct_ids_and_says_nothing_was_deleted():
    with pytest.raises(InvalidInputError) as caught:
        norm(["1", "2", "1", "3"], max_count=2)
    assert str(caught.value) == (
        "job_ids has 3 distinct job ids, more than the safety cap max_jobs=2; nothing was deleted"
    )
    assert norm(["1", "2", "1"], max_count=2) == ["1", "2"]  # exactly at the cap: accepted


def test_integers_are_refused_where_the_service_takes_only_strings():
    with pytest.raises(InvalidJobIdError) as caught:
        norm([5], allow_int=False)
    assert str(caught.value) == "invalid job id 5 (int): expected digits"
    assert norm(["5"], allow_int=False) == ["5"]


def test_a_set_of_ids_is_taken_in_a_stable_order():
    assert norm({"3", "12", "1"}) == ["1", "12", "3"]
    assert norm(frozenset({2, 10})) == ["10", "2"]


@pytest.mark.parametrize("text", ["[" * 100_000, "[" * 5_000 + "]" * 5_000, "(" * 100_000, "{" * 100_000])
def test_a_string_nested_too_deep_to_parse_is_refused_not_a_crash(text):
    shown = repr(text)[:77] + "..."
    with pytest.raises(InvalidInputError) as caught:
        norm(text)
    assert str(caught.value) == f"job_ids must be a list of job ids, got the string {shown}"
    with pytest.raises(InvalidInputError) as caught:
        coerce_params(text)
    assert str(caught.value) == f"service_params must be a dict, got the string {shown}"
