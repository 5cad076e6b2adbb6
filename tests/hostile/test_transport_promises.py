"""Promises every service keeps whatever the server does, checked on every profile (service and auth mode):
no credential leaves the endpoint, no answer is read without bound, and nothing is reported deleted or gone
from an answer that does not say so."""

from __future__ import annotations

import json
import logging
import re
import time

import pytest

from airflow_provider_jobcleanup.exceptions import (
    ApiError,
    EndpointNotFoundError,
    InvalidJobIdError,
    RedirectRefusedError,
    TransportError,
    UnexpectedAnswerError,
)
from tests.hostile.conftest import hook_for, secrets_of
from tests.hostile.toolkit import Reply, drip, echo_request, html_page, huge, redirect, reply

#: every path a service call uses; the emulator's admin routes are never hit through the hostile server
ANY = r"^/(?!_emulator)"


def delete_and_catch(hook, job_ids, params):
    """Run a delete that must fail; return the error (with its partial report)."""
    with pytest.raises(ApiError) as caught:
        hook.delete_jobs(job_ids, **params)
    return caught.value


def assert_nothing_claimed(error, job_ids):
    report = error.report
    assert report is not None, "the partial report must travel with the error"
    assert report.deleted == [] and report.already_gone == []
    assert sorted(report.failed) == sorted(job_ids)


@pytest.mark.parametrize("target", ["http://127.0.0.3:{port}/login", "https://127.0.0.3:{port}/", "/relative"])
def test_a_redirect_is_refused_and_no_credential_reaches_another_host(profile, emulator, hostile, elsewhere, target):
    job_ids, params = profile.seed(emulator, 3)
    hostile.on("*", ANY, redirect(target.format(port=elsewhere.port)))
    hook = hook_for(profile, hostile.url)

    error = delete_and_catch(hook, job_ids, params)

    assert isinstance(error, RedirectRefusedError)
    host = "127.0.0.3" if target.startswith("http") else hostile.host  # a relative target stays on the endpoint
    assert error.status_code == 302 and error.service == profile.service
    assert re.fullmatch(
        rf"[A-Z]+ {re.escape(hostile.url.removeprefix('http://'))}/\S* answered with a redirect to host "
        rf"'{re.escape(host)}'; redirects are not followed "
        r"\(credentials are only sent to the configured endpoint\): check the endpoint in the connection",
        error.message,
    ), error.message
    assert elsewhere.seen == [], "a redirect was followed"
    assert_nothing_claimed(error, job_ids)
    assert emulator.live_ids(profile.service) >= set(job_ids)
    assert len(hostile.seen) == 1, "a refused redirect is not retried"


def test_a_login_redirected_elsewhere_sends_no_password(profile, emulator, hostile, elsewhere):
    """The first request of every auth mode (token login, or the signed call itself) is redirected."""
    job_ids, params = profile.seed(emulator, 2)
    hostile.on("*", ANY, redirect(f"http://127.0.0.3:{elsewhere.port}/v3/auth/tokens"), times=1)
    hook = hook_for(profile, hostile.url)

    delete_and_catch(hook, job_ids, params)

    assert elsewhere.seen == []
    for secret in secrets_of(profile, hostile.url):
        assert all(secret not in seen.text() for seen in elsewhere.seen)


@pytest.mark.parametrize("declare_length", [True, False], ids=["declared", "streamed"])
def test_a_huge_answer_is_refused_without_reading_it_all(profile, emulator, hostile, declare_length):
    job_ids, params = profile.seed(emulator, 2)
    hostile.on("*", ANY, huge(200 * 1024 * 1024, declare_length=declare_length))
    hook = hook_for(profile, hostile.url, max_answer_bytes=1024 * 1024)

    started = time.monotonic()
    error = delete_and_catch(hook, job_ids, params)

    assert isinstance(error, UnexpectedAnswerError), error
    assert time.monotonic() - started < 20
    assert error.status_code == 200 and error.service == profile.service
    assert re.fullmatch(
        rf"[A-Z]+ {re.escape(hostile.url.removeprefix('http://'))}/\S*: the answer is larger than 1048576 bytes "
        r"\(connection extra max_answer_bytes\)",
        error.message,
    ), error.message
    assert_nothing_claimed(error, job_ids)


def test_a_slow_drip_answer_ends_at_the_attempt_deadline(profile, emulator, hostile):
    job_ids, params = profile.seed(emulator, 2)
    hostile.on("*", ANY, drip(b'{"is_success": true, "jobs": []}' * 100, every=0.1))
    hook = hook_for(profile, hostile.url, attempt_timeout=0.3, read_timeout=5, max_attempts=2)

    started = time.monotonic()
    error = delete_and_catch(hook, job_ids, params)

    elapsed = time.monotonic() - started
    assert isinstance(error, TransportError), error
    assert elapsed < 2 * 0.3 + 5, f"took {elapsed:.1f}s for two attempts of at most 0.3s (plus one read)"
    assert_nothing_claimed(error, job_ids)


@pytest.mark.parametrize(
    "answer",
    [html_page(), reply(200, b""), reply(200, b'{"job_list": [{"job_id"'), reply(200, b"[]", "text/plain")],
    ids=["html", "empty", "truncated", "not-json-type"],
)
def test_a_success_status_with_an_unreadable_body_is_never_a_success(profile, emulator, hostile, answer):
    job_ids, params = profile.seed(emulator, 2)
    hostile.on("*", ANY, answer)
    hook = hook_for(profile, hostile.url)

    error = delete_and_catch(hook, job_ids, params)
    assert_nothing_claimed(error, job_ids)
    assert emulator.live_ids(profile.service) >= set(job_ids)
    with pytest.raises(ApiError):
        hook.get_job_states(job_ids, **params)


def test_a_bare_404_is_not_already_gone(profile, emulator, hostile):
    job_ids, params = profile.seed(emulator, 2)
    hostile.on("*", ANY, reply(404, "<html><center>nginx</center></html>", "text/html"))
    hook = hook_for(profile, hostile.url)

    error = delete_and_catch(hook, job_ids, params)
    assert isinstance(error, EndpointNotFoundError), error
    assert_nothing_claimed(error, job_ids)
    with pytest.raises(EndpointNotFoundError):
        hook.get_job_states(job_ids, **params)


def test_an_outage_stops_the_run_after_one_call_s_retries(profile, emulator, hostile):
    job_ids, params = profile.seed(emulator, 5)
    hostile.on("*", ANY, reply(503, {"error_code": "APIGW.0203", "Code": "ServiceUnavailable", "code": "10001"}))
    hook = hook_for(profile, hostile.url, max_attempts=3)

    error = delete_and_catch(hook, job_ids, params)

    assert error.retryable
    assert_nothing_claimed(error, job_ids)
    assert len(hostile.seen) <= 3, f"{len(hostile.seen)} requests for an outage: the run must stop"


def test_secrets_echoed_by_the_server_never_reach_the_error_or_report(profile, emulator, hostile):
    job_ids, params = profile.seed(emulator, 2)
    hook = hook_for(profile, hostile.url)
    hook.get_job_states(job_ids, **params)  # logs in: tokens now exist and are registered as secrets
    hostile.on("*", ANY, echo_request())

    with pytest.raises(ApiError) as caught:
        hook.delete_jobs(job_ids, **params)

    text = str(caught.value) + repr(caught.value.report.to_dict() if caught.value.report else None)
    headers_sent = " ".join(" ".join(seen.headers.values()) for seen in hostile.requests())
    secrets = secrets_of(profile, hostile.url)
    tokens = [v for seen in hostile.requests() for k, v in seen.headers.items() if k in TOKEN_HEADERS]
    assert tokens or secrets
    for secret in [*secrets, *tokens]:
        assert secret not in text
    assert "***" in text or not any(s in headers_sent for s in [*secrets, *tokens])


TOKEN_HEADERS = ("x-auth-token", "token", "x-security-token", "x-acs-security-token", "password", "x-subject-token")


@pytest.mark.parametrize("bad_id", ["../../admin", "1 OR 1=1", ""])
def test_a_status_check_of_an_invalid_id_sends_nothing(profile, emulator, hostile, bad_id):
    """``get_job_states`` is public (the sensor, the trigger and users call it): it refuses what the delete
    would refuse, before any request, whatever the service."""
    job_ids, params = profile.seed(emulator, 1)
    hook = hook_for(profile, hostile.url)
    with pytest.raises(InvalidJobIdError):
        hook.get_job_states([job_ids[0], bad_id], **params)
    assert hostile.seen == []


def test_a_throttled_call_waits_what_the_server_asked_then_goes_on(profile, emulator, hostile, caplog):
    """The retry waits the server's Retry-After (E-HPC: ``x-acs-retry-after`` in ms), not the backoff, and the
    log says which call failed and how long it waits."""
    job_ids, params = profile.seed(emulator, 1)
    arrivals: list[float] = []
    body = {"error_code": "APIGW.0308", "error_msg": "throttled", "Code": "Throttling.User", "Message": "throttled"}

    def throttled(seen, forward):
        arrivals.append(time.monotonic())
        return Reply(429, {"Retry-After": "0.3", "x-acs-retry-after": "300"}, json.dumps(body).encode())

    def passed_on(seen, forward):
        arrivals.append(time.monotonic())
        return forward()

    hook_for(profile, hostile.url).get_job_states(job_ids, **params)  # logged in before the throttling starts
    hostile.on("*", ANY, throttled, times=1)
    hostile.on("*", ANY, passed_on)
    hook = hook_for(profile, hostile.url, max_attempts=3, retry_initial_wait=0.01, retry_max_wait=0.02)
    with caplog.at_level(logging.WARNING, logger="airflow_provider_jobcleanup.transport"):
        report = hook.delete_jobs(job_ids, **params)

    assert report.deleted == job_ids
    assert arrivals[1] - arrivals[0] >= 0.28, arrivals  # the backoff alone would wait 0.01-0.02 s
    [line] = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert re.fullmatch(
        rf"{profile.service}: [A-Z]+ {re.escape(hostile.url.removeprefix('http://'))}/\S* attempt 1/3 failed "
        r"\(.+\); retrying in 0\.30s",
        line,
    ), line
