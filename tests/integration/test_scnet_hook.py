"""SCNet hook against the emulator over real HTTP: real logins (password and AK/SK), JWT tokens, discovery,
strJobInfoMap deletes across job managers, and the documented definition of gone."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import requests
from airflow.sdk import Connection

from airflow_provider_jobcleanup.emulator.scnet import MANAGER_IDS
from airflow_provider_jobcleanup.exceptions import (
    AuthenticationError,
    ConfigurationError,
    InvalidInputError,
    InvalidJobIdError,
    PermissionDeniedError,
)
from airflow_provider_jobcleanup.hooks.scnet import ScnetHook
from airflow_provider_jobcleanup.models import JobFilter
from airflow_provider_jobcleanup.services import get_cleanup_hook
from tests.profiles.scnet import IDENTITY, scnet_aksk_connection, scnet_password_connection

M1, M2 = MANAGER_IDS


def _hook(spec: dict[str, Any]) -> ScnetHook:
    connection = Connection(
        conn_id="scnet_test",
        conn_type=spec["conn_type"],
        login=spec.get("login"),
        password=spec.get("password"),
        extra=json.dumps(spec.get("extra", {})),
    )
    hook = get_cleanup_hook("scnet_test", connection=connection)
    assert isinstance(hook, ScnetHook)
    return hook


def password_hook(emulator, **extra: Any) -> ScnetHook:
    return _hook(scnet_password_connection(emulator.url, **extra))


def aksk_hook(emulator, **extra: Any) -> ScnetHook:
    return _hook(scnet_aksk_connection(emulator.url, **extra))


def live(emulator) -> set[str]:
    return emulator.live_ids("scnet")


# --------------------------------------------------------------------------- delete
def test_delete_removes_exactly_the_requested_jobs(emulator):
    targets = emulator.seed("scnet", 5)
    bystanders = emulator.seed("scnet", 2)
    report = password_hook(emulator).delete_jobs(targets)
    assert report.deleted == targets
    assert report.already_gone == [] and report.failed == {}
    assert live(emulator) == set(bystanders)
    stats = emulator.stats()
    assert stats["scnet.delete"] == 1
    assert stats["scnet.tokens"] == 1
    # login, center (HPC URL), cluster (the job managers), the look on each of the two managers, delete; the
    # user came from the token's computeUser
    assert stats["scnet.jobs"] == 2
    assert report.api_calls == 6 == stats["service:scnet"]


def test_missing_finished_and_deleted_jobs_are_already_gone(emulator):
    hook = password_hook(emulator)
    deleted_before = emulator.seed("scnet", 1)
    hook.delete_jobs(deleted_before)
    finished = emulator.seed("scnet", 1, state="statC")
    running = emulator.seed("scnet", 2)
    report = hook.delete_jobs([*running, "99999999", *finished, *deleted_before])
    assert report.deleted == running
    assert sorted(report.already_gone) == sorted(["99999999", *finished, *deleted_before])
    assert report.failed == {} and report.unaccounted == []


def test_a_refused_job_fails_and_the_others_are_deleted(emulator):
    mine = emulator.seed("scnet", 3)
    theirs = emulator.seed("scnet", 1, attrs={"user": "bob"})
    report = password_hook(emulator).delete_jobs([mine[0], *theirs, *mine[1:]])
    assert report.deleted == mine
    assert list(report.failed) == theirs
    assert "permission denied" in report.failed[theirs[0]].lower()
    assert live(emulator) == set(theirs)


def test_large_batches_are_chunked_at_50_entries(emulator):
    targets = emulator.seed("scnet", 120)
    report = password_hook(emulator).delete_jobs(targets)
    assert len(report.deleted) == 120 and not report.failed
    assert emulator.stats()["scnet.delete"] == 3
    assert live(emulator) == set()


def test_one_batch_spans_two_job_managers(emulator):
    on_first = emulator.seed("scnet", 2)
    on_second = emulator.seed("scnet", 3, attrs={"job_manager_id": M2})
    report = password_hook(emulator).delete_jobs([*on_first, *on_second], job_managers={M2: on_second})
    assert sorted(report.deleted) == sorted(on_first + on_second)
    assert emulator.stats()["scnet.delete"] == 1  # managers mixed in one strJobInfoMap
    assert live(emulator) == set()


def test_a_job_named_without_its_manager_is_found_on_the_manager_holding_it(emulator):
    on_second = emulator.seed("scnet", 1, attrs={"job_manager_id": M2})
    hook = password_hook(emulator)
    assert not hook.get_job_states(on_second)[on_second[0]].gone
    report = hook.delete_jobs(on_second)
    assert report.deleted == on_second
    assert live(emulator) == set()


def test_a_wrong_manager_named_explicitly_means_the_job_is_not_found_there(emulator):
    on_second = emulator.seed("scnet", 1, attrs={"job_manager_id": M2})
    report = password_hook(emulator).delete_jobs(on_second, job_manager_id=M1)
    assert report.already_gone == on_second
    assert live(emulator) == set(on_second)
    assert "scnet.delete" not in emulator.stats()


def test_user_prefixed_keys_address_the_jobs_owner(emulator):
    targets = emulator.seed("scnet", 2)
    keys = [f"{IDENTITY.compute_user}:{job_id}" for job_id in targets]
    report = password_hook(emulator).delete_jobs(keys)
    assert report.deleted == keys
    assert live(emulator) == set()


def test_unconfirmed_deletes_are_rechecked_honestly(emulator):
    emulator.config(scnet_terse_delete=True)  # messages without job lists: nothing is confirmed
    mine = emulator.seed("scnet", 2)
    theirs = emulator.seed("scnet", 1, attrs={"user": "bob"})
    report = password_hook(emulator).delete_jobs([*mine, *theirs])
    assert report.deleted == []
    assert report.already_gone == mine  # gone on re-check, but the service never said it deleted them
    assert "not confirmed" in report.failed[theirs[0]] and "statR" in report.failed[theirs[0]]


@pytest.mark.parametrize("kind", ["throttle", "unavailable"])
def test_transient_faults_are_retried(emulator, kind):
    targets = emulator.seed("scnet", 4)
    emulator.faults(rate=0.5, kinds={kind: 1.0}, retry_after=0.01, services=["scnet"], seed=3)
    hook = password_hook(emulator)
    for job_id in targets:
        assert hook.delete_jobs([job_id]).deleted == [job_id]
    assert hook.transport.retries >= 1
    assert live(emulator) == set()


# --------------------------------------------------------------------------- authentication
def test_aksk_login(emulator):
    targets = emulator.seed("scnet", 2)
    report = aksk_hook(emulator).delete_jobs(targets)
    assert report.deleted == targets
    stats = emulator.stats()
    assert stats["scnet.tokens_v3"] == 1 and "scnet.tokens" not in stats


def test_wrong_password_is_a_clear_error_and_nothing_is_deleted(emulator):
    targets = emulator.seed("scnet", 1)
    spec = scnet_password_connection(emulator.url)
    spec["password"] = "Not-The-Password-7"  # a distinctive value: it is masked from then on
    with pytest.raises(AuthenticationError, match=f"password login of user '{IDENTITY.user}'"):
        _hook(spec).delete_jobs(targets)
    stats = emulator.stats()
    assert stats["scnet.tokens"] == 1  # a refused login is not repeated
    assert "scnet.delete" not in stats
    assert live(emulator) == set(targets)


def test_wrong_secret_key_is_refused_by_the_signature_check(emulator):
    with pytest.raises(AuthenticationError, match="AK/SK login"):
        aksk_hook(emulator, secret_key="not-the-secret").get_job_states(["1"])


def test_frozen_user_is_a_clear_error_without_retries(emulator):
    emulator.config(scnet_frozen=True)
    with pytest.raises(PermissionDeniedError, match=f"{IDENTITY.user}.*frozen"):
        password_hook(emulator).delete_jobs(["123"])
    assert emulator.stats()["service:scnet"] == 1  # one login, not retried


def test_user_frozen_after_login(emulator):
    targets = emulator.seed("scnet", 1)
    hook = password_hook(emulator)
    assert not hook.get_job_states(targets)[targets[0]].gone
    emulator.config(scnet_frozen=True)
    with pytest.raises(PermissionDeniedError, match="frozen") as caught:
        hook.delete_jobs(targets)
    assert "scnet.delete" not in emulator.stats()  # refused at the look before the delete
    assert list(caught.value.report.failed) == targets
    assert live(emulator) == set(targets)


def test_several_regions_need_a_cluster_name(emulator):
    spec = scnet_password_connection(emulator.url)
    del spec["extra"]["cluster_name"]
    with pytest.raises(ConfigurationError, match=r"kunshan.*wuzhen"):
        _hook(spec).get_job_states(["1"])


def test_expired_token_is_renewed_once_and_the_call_sent_again(emulator):
    targets = emulator.seed("scnet", 2)
    hook = password_hook(emulator)
    assert not any(s.gone for s in hook.get_job_states(targets).values())
    emulator.expire_tokens()
    assert hook.delete_jobs(targets).deleted == targets
    stats = emulator.stats()
    assert stats["scnet.tokens_next"] == 1
    assert stats["scnet.tokens"] == 1  # renewed, not logged in again


def test_token_past_its_renewal_window_leads_to_a_new_login(emulator):
    emulator.config(scnet_renew_window=0)
    targets = emulator.seed("scnet", 1)
    hook = aksk_hook(emulator)
    hook.get_job_states(targets)
    emulator.expire_tokens()
    assert hook.delete_jobs(targets).deleted == targets
    stats = emulator.stats()
    assert stats["scnet.tokens_next"] == 1  # tried, refused
    assert stats["scnet.tokens_v3"] == 2


def test_short_lived_tokens_are_renewed_before_they_expire(emulator):
    emulator.config(scnet_token_ttl=1.0)
    targets = emulator.seed("scnet", 3)
    hook = password_hook(emulator)
    for job_id in targets:
        time.sleep(0.6)
        assert hook.delete_jobs([job_id]).deleted == [job_id]
    stats = emulator.stats()
    assert stats["scnet.tokens"] == 1
    assert stats["scnet.tokens_next"] >= 1


def test_forged_token_is_refused_by_the_emulator(emulator):
    hook = password_hook(emulator)
    token = hook.token_provider.token(hook.transport)
    head, body, _ = token.split(".")
    forged = f"{head}.{body}.AAAA"
    answer = requests.get(f"{emulator.url}/ac/openapi/v2/center", headers={"token": forged}, timeout=10).json()
    assert answer["code"] == "10008"
    assert (
        requests.get(f"{emulator.url}/ac/openapi/v2/center", headers={"token": token}, timeout=10).json()["code"] == "0"
    )


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    ("job_ids", "params", "error"),
    [
        (["35918[3]"], {}, InvalidJobIdError),
        (["1,2"], {}, InvalidJobIdError),
        ([True], {}, InvalidJobIdError),
        ([], {}, InvalidInputError),
        (["1"], {"job_manager_id": "abc"}, InvalidInputError),
        (["1"], {"user": "bad user"}, InvalidInputError),
        (["1"], {"job_managers": {M2: ["2"]}}, InvalidInputError),  # 2 is not in job_ids
        (["1"], {"job_managers": {M1: ["1"], M2: ["1"]}}, InvalidInputError),  # ambiguous
        (["1"], {"job_managers": {M2: "1"}}, InvalidInputError),
        (["1"], {"cluster_id": "x"}, InvalidInputError),
        (["1", "demo_cu:1"], {}, InvalidInputError),  # the same job twice
    ],
)
def test_invalid_input_sends_no_request(emulator, job_ids, params, error):
    with pytest.raises(error):
        password_hook(emulator).delete_jobs(job_ids, **params)
    assert emulator.stats().get("total", 0) == 0


def test_list_refuses_job_managers(emulator):
    with pytest.raises(InvalidInputError, match="job_manager_id"):
        password_hook(emulator).list_jobs(JobFilter(), job_managers={M2: ["1"]})
    assert emulator.stats().get("total", 0) == 0


# --------------------------------------------------------------------------- states, gone, listing
def test_states_and_the_definition_of_gone(emulator):
    running = emulator.seed("scnet", 1)
    queued = emulator.seed("scnet", 1, state="statQ")
    completed = emulator.seed("scnet", 1, state="statC")
    doomed = emulator.seed("scnet", 1)
    hook = password_hook(emulator)
    hook.delete_jobs(doomed)
    states = hook.get_job_states([*running, *queued, *completed, *doomed, "424242"])
    assert (states[running[0]].gone, states[running[0]].state) == (False, "statR")
    assert (states[queued[0]].gone, states[queued[0]].state) == (False, "statQ")
    assert (states[completed[0]].gone, states[completed[0]].state) == (True, "statC")
    # deleted: still listed for a while, as exited, which counts as gone
    assert (states[doomed[0]].gone, states[doomed[0]].state) == (True, "statE")
    assert (states["424242"].gone, states["424242"].state) == (True, None)
    emulator.config(scnet_linger_seconds=0)  # the ~5 minutes have passed: no longer listed at all
    assert hook.get_job_states(doomed)[doomed[0]].state is None


def test_a_job_of_another_user_is_not_gone(emulator):
    theirs = emulator.seed("scnet", 1, attrs={"user": "bob"})
    assert not password_hook(emulator).get_job_states(theirs)[theirs[0]].gone


def test_states_cost_one_call_per_page_not_per_job(emulator):
    jobs = emulator.seed("scnet", 230)
    hook = password_hook(emulator, job_manager_id=M1)
    hook.get_job_states(jobs)
    after_all = emulator.stats()["scnet.jobs"]
    assert after_all == 3  # 230 jobs, 100 per page
    hook.get_job_states(jobs[:1])
    assert emulator.stats()["scnet.jobs"] == after_all + 1  # a single job: one strJobId query


def test_states_per_manager(emulator):
    on_first = emulator.seed("scnet", 2)
    on_second = emulator.seed("scnet", 2, attrs={"job_manager_id": M2})
    hook = password_hook(emulator)
    states = hook.get_job_states([*on_first, *on_second], job_managers={M2: on_second})
    assert not any(s.gone for s in states.values())
    assert emulator.stats()["scnet.jobs"] == 2


def test_list_honours_states_age_and_name(emulator):
    old = 3 * 86400
    match = emulator.seed("scnet", 2, state="statQ", name="etl", age_seconds=old)
    emulator.seed("scnet", 1, state="statR", name="etl", age_seconds=old)  # wrong state
    emulator.seed("scnet", 1, state="statQ", name="etl", age_seconds=60)  # too young
    emulator.seed("scnet", 1, state="statQ", name="report", age_seconds=old)  # wrong name
    emulator.seed("scnet", 1, state="statQ", name="etl", age_seconds=old, attrs={"user": "bob"})  # not ours
    on_second = emulator.seed("scnet", 1, state="statQ", name="etl", age_seconds=old, attrs={"job_manager_id": M2})
    job_filter = JobFilter(states=("statq",), older_than=timedelta(days=1), name_pattern="etl-*")
    hook = password_hook(emulator)
    found = hook.list_jobs(job_filter, job_manager_id=M1)
    assert sorted(j.job_id for j in found) == sorted(match)
    assert all(j.state == "statQ" and j.created_at is not None for j in found)
    # without a manager named, every manager of the account is listed
    assert sorted(j.job_id for j in hook.list_jobs(job_filter)) == sorted(match + on_second)


def test_list_pages_through_everything(emulator):
    jobs = emulator.seed("scnet", 150)
    found = password_hook(emulator).list_jobs(JobFilter())
    assert {j.job_id for j in found} == set(jobs)
    assert emulator.stats()["scnet.jobs"] == 3  # two pages on the first manager, one on the second


def test_history_lists_deleted_jobs(emulator):
    targets = emulator.seed("scnet", 2, name="hist")
    hook = password_hook(emulator)
    hook.delete_jobs(targets)
    since = datetime.now(timezone.utc) - timedelta(hours=1)
    found = hook.list_history_jobs(JobFilter(states=("statE",)), since=since)
    assert sorted(j.job_id for j in found) == sorted(targets)


def test_job_detail(emulator):
    job = emulator.seed("scnet", 1, name="detail")[0]
    hook = password_hook(emulator)
    detail = hook.get_job_detail(job)
    assert detail is not None and detail["jobStatus"] == "statR" and detail["jobName"] == "detail-0"
    assert hook.get_job_detail("77777777") is None


def test_extras_override_discovery(emulator):
    targets = emulator.seed("scnet", 1, attrs={"job_manager_id": M2})
    hook = password_hook(emulator, hpc_url=emulator.url, job_manager_id=M2, compute_user=IDENTITY.compute_user)
    assert hook.delete_jobs(targets).deleted == targets
    stats = emulator.stats()
    assert "scnet.center" not in stats and "scnet.cluster" not in stats


def test_test_connection(emulator):
    ok, message = password_hook(emulator).test_connection()
    assert ok, message
    spec = scnet_password_connection(emulator.url)
    spec["password"] = "nope"
    ok, message = _hook(spec).test_connection()
    assert not ok and IDENTITY.user in message


def test_the_user_named_in_a_key_owns_the_delete(emulator):
    """As administrator, ``bob:ID`` deletes bob's job; the same job under another user is refused."""
    emulator.config(scnet_admin=True)
    mine = emulator.seed("scnet", 1)
    [bobs, other_bobs] = emulator.seed("scnet", 2, attrs={"user": "bob"})
    report = password_hook(emulator).delete_jobs([*mine, f"bob:{bobs}", f"carol:{other_bobs}"])
    assert report.deleted == [*mine, f"bob:{bobs}"]
    assert list(report.failed) == [f"carol:{other_bobs}"]
    assert "permission denied" in report.failed[f"carol:{other_bobs}"].lower()
    assert live(emulator) == {other_bobs}
