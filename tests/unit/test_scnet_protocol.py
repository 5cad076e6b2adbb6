"""SCNet wire formats: job keys, strJobInfoMap, the delete messages, times, discovery and body codes."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
import requests

from airflow_provider_jobcleanup.exceptions import (
    ApiError,
    AuthenticationError,
    PermissionDeniedError,
    TransientServiceError,
    UnexpectedAnswerError,
)
from airflow_provider_jobcleanup.hooks import scnet_protocol as proto


def test_job_info_map_matches_the_seed_example():
    refs = [
        proto.JobRef("197", "1638523853", "test", "197"),
        proto.JobRef("196", "1638523853", "test", "196"),
    ]
    assert proto.build_job_info_map(refs) == "1638523853,test:197:;1638523853,test:196:"


@pytest.mark.parametrize(
    ("key", "expected"),
    [("35918", (None, "35918")), ("alice:35918", ("alice", "35918")), ("35918_3", (None, "35918_3"))],
)
def test_job_keys(key, expected):
    assert proto.split_job_key(key) == expected


@pytest.mark.parametrize("bad", ["35918[3]", "abc", "1,2", "a:b:1", "12;3", "35918.mgr", ":12", "-1"])
def test_job_key_pattern_refuses_what_would_break_the_map(bad):
    assert proto.JOB_KEY.fullmatch(bad) is None


def test_seed_success_message():
    message = "jobManagerId : 1638523853, delete the jobs [test:19:] successfully!"
    assert proto.parse_delete_message(message) == {("test", "19"): proto.DeleteOutcome(True)}


def test_mixed_message_with_concatenated_entries_and_reasons():
    message = (
        "jobManagerId : 1, delete the jobs [u:1:u:2_4:] successfully! "
        "delete the jobs [u:3:] failed! reason: Invalid job id specified "
        "delete the jobs [bob:4:, bob:5:] failed! reason: Access/permission denied"
    )
    outcomes = proto.parse_delete_message(message)
    assert outcomes[("u", "1")].deleted and outcomes[("u", "2_4")].deleted
    assert outcomes[("u", "3")].not_found and outcomes[("u", "3")].reason == "Invalid job id specified"
    assert not outcomes[("bob", "4")].not_found
    assert outcomes[("bob", "5")].reason == "Access/permission denied"


def test_a_message_without_job_lists_confirms_nothing():
    assert proto.parse_delete_message("jobManagerId : 1, delete the jobs successfully!") == {}
    assert proto.parse_delete_answer(None) == {}


def test_answer_is_split_per_manager():
    data = {"1": "jobManagerId : 1, delete the jobs [u:7:] successfully!", "2": "nonsense"}
    assert proto.parse_delete_answer(data) == {"1": {("u", "7"): proto.DeleteOutcome(True)}, "2": {}}


def test_times_are_beijing_time():
    assert proto.parse_time("2024-01-01 08:00:00") == datetime(2024, 1, 1, tzinfo=timezone.utc)
    assert proto.format_time(datetime(2024, 1, 1, tzinfo=timezone.utc)) == "2024-01-01 08:00:00"
    assert proto.parse_time("") is None and proto.parse_time("garbage") is None
    assert proto.parse_time(1704067200000) == datetime(2024, 1, 1, tzinfo=timezone.utc)


def test_items_are_read_leniently():
    assert proto.item_state({"jobStatus": "statR"}) == "statR"
    assert proto.item_state({"jobState": "statC"}) == "statC"
    assert proto.item_job_id({"id": 5}) == "5"
    assert proto.list_page({"total": "3", "list": [{"jobId": "1"}]}) == ([{"jobId": "1"}], 3)


def test_center_discovery():
    data = [
        {
            "id": "11112",
            "name": "kunshan",
            "clusterUserInfo": {"homePath": "/public/home/acct01/"},
            "hpcUrls": [{"url": "https://down", "enable": "false"}, {"url": "https://up", "enable": "true"}],
        },
        {"id": "11113", "name": "wuzhen", "hpcUrls": [{"url": "https://w", "enable": True}]},
    ]
    region = proto.pick_center(data, "11112", None)
    assert proto.enabled_url(region["hpcUrls"]) == "https://up"
    assert proto.home_user(region) == "acct01"
    assert proto.enabled_url(proto.pick_center(data, None, "wuzhen")["hpcUrls"]) == "https://w"
    assert proto.enabled_url([{"url": "https://x", "enable": "false"}]) is None


def _response(body, status=200) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return response


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("10008", AuthenticationError),
        ("10007", PermissionDeniedError),
        ("10009", PermissionDeniedError),
        ("10001", TransientServiceError),
        ("10013", TransientServiceError),
        ("10004", ApiError),
    ],
)
def test_http_200_with_a_nonzero_code_is_an_error(code, cls):
    error = proto.error_parser("alice")(_response({"code": code, "msg": "m", "data": None}))
    assert type(error) is cls and error is not None
    assert error.error_code == code


def test_frozen_user_error_names_the_user_and_is_not_retried():
    error = proto.error_parser("alice")(_response({"code": "10007", "msg": "frozen"}))
    assert error is not None and "'alice'" in str(error) and not error.retryable


def test_success_and_http_errors():
    parse = proto.error_parser("alice")
    assert parse(_response({"code": "0", "msg": "success", "data": {}})) is None
    assert isinstance(parse(_response(b"<html>503</html>", 503)), TransientServiceError)
    # a 200 that is not JSON is not understood: never retried as an outage, never a success
    assert isinstance(parse(_response(b"<html>ok?</html>")), UnexpectedAnswerError)
