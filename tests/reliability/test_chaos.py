"""Chaos, bounded for ``make test``: per service, delete a thousand jobs while the emulator faults 30% of the
requests (429 with Retry-After, 503, connection resets, answers slower than the read timeout, deletes whose
answer is lost) and expires every token several times a second. ``make chaos`` runs the same harness with
ten thousand jobs per service (``chaos/run.py``).

Asserted from the emulator's ground truth (``GET /_emulator/jobs``): every target is gone after at most eight
operator runs (the first plus Airflow's retries for jobs reported failed: a run stops at the first request that
outlasts its retries, which at a 30% fault rate happens about once per 1,400 requests), no job was deleted twice, no
bystander was touched, each run's report is a partition of what it was asked (and whatever it calls deleted
or already gone really is gone), the sensor confirms, and no request made more attempts than the policy's
``max_attempts``.
"""

from __future__ import annotations

import logging
import os

import pytest

from chaos.harness import CHAOS_PROFILES, run_chaos

JOBS = int(os.environ.get("JOBCLEANUP_CHAOS_JOBS", "1000"))


@pytest.fixture
def quiet_logs():
    """Thousands of retry warnings would only slow the run down; the assertions say what happened."""
    names = ("airflow_provider_jobcleanup", "airflow.task")
    saved = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.ERROR)
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("profile_name", CHAOS_PROFILES)
def test_chaos_loses_nothing_and_touches_nothing_else(emulator, quiet_logs, profile_name):
    result = run_chaos(emulator, profile_name, targets=JOBS)
    print(result.summary_line())
    assert result.problems == []
    assert result.targets == JOBS and result.targets_left == 0 and result.failed == 0
    assert result.deleted + result.already_gone == JOBS
    assert result.deleted_twice == 0 and result.bystanders_touched == 0
    assert result.sensor_confirmed
    assert result.most_attempts <= result.max_attempts == 6
    # the faults really happened, every kind of them
    assert set(result.faults) == {"throttle", "unavailable", "slow", "reset", "lost_response"}, result.faults
    assert result.retries > 0


@pytest.mark.timeout(300)
def test_token_expiry_is_survived_by_re_login(emulator, quiet_logs):
    """Without other faults: tokens expired mid-run (RES: one call per job, eight at a time) are renewed with a
    new log-in, and no job fails."""
    # Tokens in use for 2 s are revoked every 0.2 s. (A younger cut-off revoked, on a loaded machine, even the token
    # fetched by the re-login before its first use, and a second 401 right after a fresh login stops the run by design.)
    result = run_chaos(emulator, "res-password", targets=1500, rate=0.0, expire_every=0.2, token_min_age=2.0)
    assert result.problems == []
    assert result.tokens_expired >= 1 and result.logins >= 2
    # eight requests in flight with one expired token cause one login, not eight
    assert result.logins <= result.tokens_expired + 1
    assert result.deleted == result.targets and len(result.passes) == 1 and result.failed_after_first_pass == 0


@pytest.mark.timeout(300)
def test_lost_answers_are_not_deleted_twice_nor_lost(emulator, quiet_logs):
    """Every fault is a delete processed by the server whose answer never arrives: the retry finds the jobs
    gone, they are reported already gone (not failed, not deleted twice). Enough attempts that the look before
    the delete gets through (a look that exhausts its retries stops the run before any delete is sent)."""
    result = run_chaos(
        emulator,
        "mrs-aksk",
        targets=300,
        rate=0.5,
        kinds={"lost_response": 1.0},
        expire_every=0,
        extras={"max_attempts": 12},
    )
    assert result.problems == []
    assert result.already_gone > 0 and result.deleted_twice == 0
    assert result.deleted + result.already_gone == 300


@pytest.mark.timeout(300)
def test_a_smaller_attempt_budget_is_respected(emulator, quiet_logs):
    """With ``max_attempts=2`` at a 40% fault rate many requests exhaust their retries: no request makes a
    third attempt, the failures are reported (not lost), and Airflow's retries of the task finish the job."""
    result = run_chaos(
        emulator,
        "scnet-password",
        targets=500,
        rate=0.4,
        kinds={"throttle": 1.0, "unavailable": 1.0, "reset": 1.0, "lost_response": 1.0},
        extras={"max_attempts": 2},
        max_passes=25,
        sensor_tries=30,
    )
    assert result.problems == [], result.crashed_passes
    assert result.max_attempts == 2 and result.most_attempts == 2, result.crashed_passes
