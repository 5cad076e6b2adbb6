"""Chaos runs: delete many jobs per service while the emulator injects faults, then check against the emulator's
ground truth that nothing was lost, nothing else was touched, and the report is exact.

Used by ``tests/reliability/test_chaos.py`` (bounded: a thousand jobs per service) and by ``make chaos``
(``python -m chaos.run``: ten thousand per service, with a printed summary).

One run of one service:

1. seed ``targets`` deletable jobs, plus ``bystanders`` identical-looking jobs that must not be touched;
2. inject faults on ``rate`` of the requests (every kind: 429 with Retry-After, 503, connection reset, an
   answer slower than the client's read timeout, a delete processed but its answer lost), and every
   ``expire_every`` seconds expire the tokens issued more than ``token_min_age`` seconds ago (default:
   longer than one slow answer) from a background thread;
3. run :class:`BatchDeleteJobsOperator` in-process (a fake ``ti`` collects the XCom); when jobs end in
   ``failed`` (the run stops at the first request that still fails after every retry, and the jobs it had not
   confirmed are failed) run it again for those jobs, as Airflow's task retries would, up to ``max_passes``
   times;
4. compare with ``GET /_emulator/jobs``: every target gone, no target deleted twice (``delete_count`` <= 1),
   no bystander touched, each pass's report exact (deleted + already gone + failed == requested, disjoint,
   and whatever a report calls deleted or already gone really is gone), and every logical request made at
   most ``max_attempts`` attempts (counted by instrumenting :class:`ApiTransport`).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests

from airflow_provider_jobcleanup.connection_settings import RetryPolicy
from airflow_provider_jobcleanup.transport import ApiTransport
from tests.emulator_client import EmulatorAdmin
from tests.profiles import ServiceProfile, all_profiles

#: one profile per service; token-based auth wherever the service has it, so token expiry is exercised
CHAOS_PROFILES = ("mrs-password", "dli-password", "res-password", "ehpc-aksk", "scnet-password")

ALL_FAULTS = {"throttle": 1.0, "unavailable": 1.0, "slow": 1.0, "reset": 1.0, "lost_response": 1.0}

#: connection extras that keep waits short: the policy's attempt bound is the default one
FAST_EXTRAS: dict[str, Any] = {
    "retry_initial_wait": 0.005,
    "retry_max_wait": 0.02,
    "connect_timeout": 5,
    "read_timeout": 0.25,
}


def profile(name: str) -> ServiceProfile:
    for candidate in all_profiles():
        if candidate.name == name:
            return candidate
    raise KeyError(name)


class FakeTI:
    """Collects the operator's XCom pushes."""

    def __init__(self) -> None:
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


# ---------------------------------------------------------------------------------------------- instrumentation
class TransportProbe:
    """Counts, across every :class:`ApiTransport`, logical requests, attempts per logical request, retries and
    HTTP sends, by wrapping the class's methods for the duration of a ``with`` block.

    A token fetch runs inside another request's attempt (the auth fetches it through the same transport): it is
    its own logical request, so attempts are counted on a per-thread stack.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.local = threading.local()
        self.logical = 0
        self.attempts: Counter[int] = Counter()  # attempts made -> how many logical requests made that many
        self.sends = 0
        self.retries = 0
        self.max_attempts_allowed = 0

    def __enter__(self) -> TransportProbe:
        probe = self
        self._saved = {name: getattr(ApiTransport, name) for name in ("request", "_send_with_reauth", "_send_once")}
        original_request = self._saved["request"]
        original_attempt = self._saved["_send_with_reauth"]
        original_send = self._saved["_send_once"]

        def request(transport: ApiTransport, *args: Any, **kwargs: Any):
            stack = probe._stack()
            stack.append(0)
            with probe.lock:
                probe.logical += 1
                probe.max_attempts_allowed = max(probe.max_attempts_allowed, transport.retry.max_attempts)
            try:
                return original_request(transport, *args, **kwargs)
            finally:
                made = stack.pop()
                with probe.lock:
                    probe.attempts[made] += 1
                    probe.retries += max(0, made - 1)

        def attempt(transport: ApiTransport, *args: Any, **kwargs: Any):
            stack = probe._stack()
            if stack:
                stack[-1] += 1
            return original_attempt(transport, *args, **kwargs)

        def send(transport: ApiTransport, *args: Any, **kwargs: Any):
            with probe.lock:
                probe.sends += 1
            return original_send(transport, *args, **kwargs)

        ApiTransport.request = request  # type: ignore[method-assign]
        ApiTransport._send_with_reauth = attempt  # type: ignore[method-assign]
        ApiTransport._send_once = send  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: Any) -> None:
        for name, value in self._saved.items():
            setattr(ApiTransport, name, value)

    def _stack(self) -> list[int]:
        stack = getattr(self.local, "stack", None)
        if stack is None:
            stack = self.local.stack = []
        return stack

    @property
    def most_attempts(self) -> int:
        return max(self.attempts, default=0)


@contextlib.contextmanager
def token_expirer(admin: EmulatorAdmin, every: float, min_age: float):
    """Every ``every`` seconds while the block runs, expire every token issued at least ``min_age`` seconds
    ago; yields a counter."""
    stop = threading.Event()
    count = Counter[str]()

    def loop() -> None:
        while not stop.wait(every):
            with contextlib.suppress(requests.RequestException):
                # Only tokens in use for a while (``min_age``): a token that expires before the request carrying
                # it is processed means a broken identity service, and a second 401 right after a re-login
                # stops the run by design. Tokens must outlive one slow answer (slow_seconds) plus scheduling.
                admin.expire_tokens(older_than=min_age)
                count["expired"] += 1

    thread = threading.Thread(target=loop, name="chaos-token-expirer", daemon=True)
    if every > 0:
        thread.start()
    try:
        yield count
    finally:
        stop.set()
        if every > 0:
            thread.join(timeout=10)


@contextlib.contextmanager
def connection_env(conn_id: str, spec: dict[str, Any]):
    name = f"AIRFLOW_CONN_{conn_id.upper()}"
    saved = os.environ.get(name)
    os.environ[name] = json.dumps(spec)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = saved


# ---------------------------------------------------------------------------------------------- the run
@dataclass
class ChaosResult:
    service: str
    profile: str
    targets: int
    bystanders: int
    passes: list[dict[str, Any]] = field(default_factory=list)
    #: runs that stopped before deleting anything (nothing to report; Airflow's retry runs them again)
    crashed_passes: list[str] = field(default_factory=list)
    deleted: int = 0
    already_gone: int = 0
    failed: int = 0
    failed_after_first_pass: int = 0
    bystanders_touched: int = 0
    targets_left: int = 0
    deleted_twice: int = 0
    requests: int = 0
    http_sends: int = 0
    logical_requests: int = 0
    retries: int = 0
    most_attempts: int = 0
    max_attempts: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    tokens_expired: int = 0
    logins: int = 0
    sensor_confirmed: bool = False
    sensor_pokes: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def summary_line(self) -> str:
        faults = ", ".join(f"{k} {v}" for k, v in sorted(self.faults.items())) or "none"
        return (
            f"{self.service:6} targets {self.targets:6}  deleted {self.deleted:6}  already gone "
            f"{self.already_gone:5}  failed {self.failed:3} (after pass 1: {self.failed_after_first_pass})  "
            f"runs {len(self.passes)} (+{len(self.crashed_passes)} stopped early)  "
            f"bystanders touched {self.bystanders_touched}/{self.bystanders}  "
            f"targets left {self.targets_left}  deleted twice {self.deleted_twice}  requests {self.requests}  "
            f"retries {self.retries} (most attempts {self.most_attempts}/{self.max_attempts})  "
            f"tokens expired {self.tokens_expired}x (logins {self.logins})  sensor confirmed "
            f"{'yes' if self.sensor_confirmed else 'NO'} ({self.sensor_pokes} pokes)  faults [{faults}]  "
            f"{self.seconds:.1f}s"
        )


def fault_counts(admin: EmulatorAdmin) -> dict[str, int]:
    response = admin.session.get(f"{admin.url}/_emulator/stats", timeout=30)
    response.raise_for_status()
    return dict(response.json().get("faults", {}))


def check_report(report: dict[str, Any], requested: list[str], jobs: dict[str, dict[str, Any]]) -> list[str]:
    """Problems with one pass's report: not a partition of ``requested``, or an outcome the emulator denies."""
    problems: list[str] = []
    deleted, gone, failed = report["deleted"], report["already_gone"], report["failed"]
    if sorted(report["requested"]) != sorted(requested):
        problems.append("report.requested differs from the requested ids")
    buckets = [set(deleted), set(gone), set(failed)]
    if len(deleted) + len(gone) + len(failed) != len(requested):
        problems.append(
            f"report does not add up: {len(deleted)} deleted + {len(gone)} already gone + {len(failed)} failed "
            f"!= {len(requested)} requested"
        )
    if set().union(*buckets) != set(requested) or sum(map(len, buckets)) != len(set().union(*buckets)):
        problems.append("report outcomes are not a partition of the requested ids")
    wrong = [j for j in [*deleted, *gone] if jobs.get(j, {}).get("deleted_at") is None]
    if wrong:
        problems.append(f"{len(wrong)} jobs reported deleted/already gone are still alive, e.g. {wrong[:3]}")
    return problems


def confirm_with_sensor(
    result: ChaosResult, conn_id: str, service: str, target_ids: list[str], params: dict[str, Any], tries: int = 3
) -> None:
    """Poke :class:`JobsGoneSensor` for every target, still under faults; a poke that fails after its
    retries is poked again (as the sensor's next poke would), up to ``tries`` times."""
    from airflow_provider_jobcleanup.exceptions import ApiError
    from airflow_provider_jobcleanup.sensors.jobs_gone import JobsGoneSensor

    sensor = JobsGoneSensor(task_id="chaos_confirm", conn_id=conn_id, service=service, job_ids=target_ids, **params)
    for _ in range(tries):
        result.sensor_pokes += 1
        try:
            poked = sensor.poke({})  # type: ignore[arg-type]
        except ApiError:
            continue
        result.sensor_confirmed = bool(poked.is_done)
        if not poked.is_done:
            result.problems.append("the sensor says some targets are still present")
        return
    result.problems.append(f"the sensor could not confirm in {tries} pokes")


def run_chaos(
    admin: EmulatorAdmin,
    profile_name: str,
    *,
    targets: int,
    bystanders: int | None = None,
    rate: float = 0.3,
    kinds: dict[str, float] | None = None,
    slow_seconds: float = 0.5,
    retry_after: float = 0.01,
    expire_every: float = 0.5,
    token_min_age: float | None = None,
    max_passes: int = 8,
    sensor_tries: int = 6,
    seed: int = 8,
    extras: dict[str, Any] | None = None,
) -> ChaosResult:
    """Delete ``targets`` jobs of one profile's service under faults; see the module docstring."""
    from airflow_provider_jobcleanup.auth.token_cache import clear_shared_providers
    from airflow_provider_jobcleanup.exceptions import JobCleanupError
    from airflow_provider_jobcleanup.operators.batch_delete import BatchDeleteJobsOperator

    chosen = profile(profile_name)
    service = chosen.service
    bystanders = max(50, targets // 10) if bystanders is None else bystanders
    admin.reset()
    clear_shared_providers()
    target_ids, params = chosen.seed(admin, targets)
    bystander_ids, _ = chosen.seed(admin, bystanders)
    spec = chosen.connection(admin.url)
    spec["extra"] = {**spec["extra"], **FAST_EXTRAS, **(extras or {})}
    conn_id = f"chaos_{service}"
    result = ChaosResult(service, profile_name, len(target_ids), len(bystander_ids))
    admin.faults(
        rate=rate,
        kinds=kinds or ALL_FAULTS,
        retry_after=retry_after,
        slow_seconds=slow_seconds,
        seed=seed,
    )
    started = time.monotonic()
    todo = list(target_ids)
    outcome: dict[str, str] = {}
    crashed_sends = 0
    with (
        connection_env(conn_id, spec),
        TransportProbe() as probe,
        token_expirer(
            admin,
            expire_every,
            token_min_age if token_min_age is not None else max(expire_every, 2 * slow_seconds + 0.5),
        ) as expired,
    ):
        for number in range(1, max_passes + 1):
            gone_before = {j["job_id"] for j in admin.jobs(service) if j["deleted_at"] is not None}
            sends_before = probe.sends
            ti = FakeTI()
            operator = BatchDeleteJobsOperator(
                task_id=f"chaos_delete_{number}",
                conn_id=conn_id,
                service=service,
                job_ids=todo,
                max_jobs=max(len(todo), 1),
                **params,
            )
            error = None
            try:
                report = operator.execute({"ti": ti})  # type: ignore[arg-type]
            except JobCleanupError as err:  # some jobs failed: the report was pushed first
                error = err
                report = ti.pushed.get("return_value")
            except Exception as err:  # recorded as a problem: a run must not crash
                error = err
                report = None
            jobs = {j["job_id"]: j for j in admin.jobs(service)}
            if report is None:
                # The run stopped before reporting (e.g. log-in or discovery failed after every retry). That is
                # acceptable only when it deleted nothing: then Airflow's retry simply runs it again.
                now_gone = {j for j in todo if jobs[j]["deleted_at"] is not None}
                if now_gone - gone_before:
                    result.problems.append(
                        f"pass {number} stopped without a report after deleting {len(now_gone - gone_before)} "
                        f"jobs ({error!r})"
                    )
                    break
                result.crashed_passes.append(f"pass {number}: {error!r}")
                crashed_sends += probe.sends - sends_before
                continue
            result.problems.extend(f"pass {number}: {p}" for p in check_report(report, todo, jobs))
            result.passes.append(
                {
                    "requested": len(todo),
                    "deleted": len(report["deleted"]),
                    "already_gone": len(report["already_gone"]),
                    "failed": len(report["failed"]),
                    "api_calls": report["api_calls"],
                    "sample_failures": dict(list(report["failed"].items())[:3]),
                }
            )
            for job_id in report["deleted"]:
                outcome[job_id] = "deleted"
            for job_id in report["already_gone"]:
                outcome.setdefault(job_id, "already_gone")
            if number == 1:
                result.failed_after_first_pass = len(report["failed"])
            todo = list(report["failed"])
            if not todo:
                break
        delete_sends = probe.sends - crashed_sends
        confirm_with_sensor(result, conn_id, service, target_ids, params, tries=sensor_tries)
        result.tokens_expired = expired["expired"]
    result.seconds = time.monotonic() - started
    result.faults = fault_counts(admin)
    result.logins = sum(v for k, v in admin.stats().items() if k.endswith(("tokens", "tokens_v3", "tokens_next")))
    admin.faults(rate=0.0)

    # ---------------------------------------------------------------- ground truth
    jobs = {j["job_id"]: j for j in admin.jobs(service)}
    result.deleted = sum(1 for v in outcome.values() if v == "deleted")
    result.already_gone = sum(1 for v in outcome.values() if v == "already_gone")
    result.failed = len(todo)
    result.targets_left = sum(1 for j in target_ids if jobs[j]["deleted_at"] is None)
    result.deleted_twice = sum(1 for j in target_ids if jobs[j]["delete_count"] > 1)
    result.bystanders_touched = sum(
        1 for j in bystander_ids if jobs[j]["deleted_at"] is not None or jobs[j]["delete_count"] != 0
    )
    strangers = set(jobs) - set(target_ids) - set(bystander_ids)
    if strangers:
        result.problems.append(f"the emulator holds {len(strangers)} jobs nobody seeded")
    result.requests = sum(p["api_calls"] for p in result.passes)
    result.http_sends = probe.sends
    result.logical_requests = probe.logical
    result.retries = probe.retries
    result.most_attempts = probe.most_attempts
    result.max_attempts = probe.max_attempts_allowed or RetryPolicy().max_attempts
    if result.targets_left:
        result.problems.append(f"{result.targets_left} target jobs are still alive after {len(result.passes)} passes")
    if result.failed:
        result.problems.append(f"{result.failed} jobs still failed after {len(result.passes)} passes")
    if result.deleted_twice:
        result.problems.append(f"{result.deleted_twice} jobs were deleted more than once")
    if result.bystanders_touched:
        result.problems.append(f"{result.bystanders_touched} bystander jobs were touched")
    if result.deleted + result.already_gone + result.failed != len(target_ids):
        result.problems.append("final outcomes do not add up to the targets")
    if result.most_attempts > result.max_attempts:
        result.problems.append(
            f"a request made {result.most_attempts} attempts; the policy allows {result.max_attempts}"
        )
    if result.retries > result.logical_requests * (result.max_attempts - 1):
        result.problems.append("more retries than the policy allows")
    if result.requests != delete_sends:
        result.problems.append(f"reports count {result.requests} api calls but {delete_sends} HTTP requests were sent")
    return result
