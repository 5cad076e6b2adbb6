"""Shared plumbing of the benchmarks: Airflow set-up, the emulator, the five services, hooks and tables.

Every benchmark module imports this first: it points Airflow at a throw-away ``AIRFLOW_HOME`` (removed when the
process exits) before anything imports Airflow, and makes the repository root importable (the benchmarks reuse
``tests/profiles`` and ``tests/emulator_client``, so the connections and seeds are exactly the ones the test suite
uses; the emulator is stopped with its whole process group).
"""

from __future__ import annotations

import atexit
import json
import logging
import math
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

if "AIRFLOW_HOME" not in os.environ:
    os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="jobcleanup-bench-")
    atexit.register(shutil.rmtree, os.environ["AIRFLOW_HOME"], ignore_errors=True)
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")

if TYPE_CHECKING:
    from airflow.sdk import Connection

    from airflow_provider_jobcleanup.hooks.base import JobCleanupHook
    from tests.emulator_client import EmulatorAdmin, EmulatorProcess


# ----------------------------------------------------------------------------------------------- services
@dataclass(frozen=True)
class Case:
    """One service as the benchmarks exercise it, and what its call counts may be (the one table of
    expectations every benchmark derives its bounds from).

    :param service: the ``service=`` value.
    :param profile: the ``tests/profiles`` profile (service and auth mode) whose connection is used.
    :param seed_spec: state/attrs of seeded, deletable jobs.
    :param params: the service parameters the hook needs to delete them.
    :param delete_routes: emulator stats keys of the delete call.
    :param status_routes: emulator stats keys of read-only status/list calls.
    :param setup_routes: emulator stats keys of authentication and discovery calls.
    :param batch_limit: most jobs one delete call takes: deleting N jobs is exactly ceil(N / batch_limit) calls.
    :param setup_calls: authentication and discovery calls of ``profile`` before the first delete (exact).
    :param concurrency: requests the hook keeps in flight while deleting.
    :param page_size: jobs one status call covers (a list page, or ids per call when ``status_by_id``).
    :param status_by_id: status calls name the jobs (E-HPC ``ListJobs`` by id): their count follows the jobs
        asked about, not the jobs the service lists.
    :param gone_needs_detail: a job missing from the list is not proof it is gone (RES: another type may hold
        the id): each one is confirmed by its own detail call.
    :param loop_speedup: the least speedup over the one-request-per-job loop at 30 ms.
    """

    service: str
    profile: str
    seed_spec: dict[str, Any]
    params: dict[str, Any]
    delete_routes: tuple[str, ...]
    status_routes: tuple[str, ...]
    setup_routes: tuple[str, ...]
    batch_limit: int
    setup_calls: int = 0
    concurrency: int = 1
    page_size: int = 100
    status_by_id: bool = False
    gone_needs_detail: bool = False
    loop_speedup: float = 20.0
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


#: status calls a look or a poll may make over the page count (a last empty page, a confirming call)
STATUS_SLACK = 2

#: authentication and discovery calls by auth mode, for the profiles measured besides each case's own
PROFILE_SETUP_CALLS: dict[str, int] = {"mrs-password": 1, "dli-password": 1}


def _cases() -> dict[str, Case]:
    from airflow_provider_jobcleanup.emulator.huawei_mrs import DEFAULT_CLUSTER_ID
    from tests.profiles.huawei import RES_PARAMS

    return {
        "mrs": Case(
            "mrs",
            "mrs-aksk",
            {"state": "FAILED"},
            {"cluster_id": DEFAULT_CLUSTER_ID},
            ("mrs.batch_delete",),
            ("mrs.list", "mrs.detail"),
            ("iam.tokens",),
            100,
            notes="AK/SK signs every request: no auth call",
        ),
        "dli": Case(
            "dli",
            "dli-aksk",
            {"state": "job_running_exception"},
            {},
            ("dli.batch_delete",),
            ("dli.list", "dli.detail"),
            ("iam.tokens",),
            100,
            notes="AK/SK signs every request: no auth call",
        ),
        "res": Case(
            "res",
            "res-aksk",
            {"state": "FAILED", "attrs": {"type": "etl"}},
            dict(RES_PARAMS),
            ("res.delete",),
            ("res.list", "res.detail"),
            ("iam.tokens",),
            1,
            concurrency=8,
            gone_needs_detail=True,
            loop_speedup=7.0,
            notes="no batch delete: one job per call, 8 in flight",
        ),
        "ehpc": Case(
            "ehpc",
            "ehpc-aksk",
            {"state": "Failed"},
            {},
            ("ehpc.DeleteJobs",),
            ("ehpc.ListJobs", "ehpc.ListExecutors", "ehpc.GetJob"),
            (),
            100,
            status_by_id=True,
            notes="ACS3 signs every request: no auth call",
        ),
        "scnet": Case(
            "scnet",
            "scnet-password",
            {"state": "statR"},
            {},
            ("scnet.delete",),
            ("scnet.jobs", "scnet.job_detail"),
            ("scnet.tokens", "scnet.tokens_v3", "scnet.tokens_next", "scnet.center", "scnet.cluster"),
            50,
            setup_calls=3,
            notes="login + center + cluster discovery before the deletes",
        ),
    }


CASES: dict[str, Case] = _cases()
SERVICE_ORDER: tuple[str, ...] = ("mrs", "dli", "res", "ehpc", "scnet")


def delete_calls(case: Case, n: int) -> int:
    """Delete calls to delete ``n`` jobs: exactly this many."""
    return math.ceil(n / case.batch_limit)


def setup_calls(case: Case, profile: str | None = None) -> int:
    """Authentication and discovery calls of ``profile`` (default: the case's own): exactly this many."""
    return PROFILE_SETUP_CALLS.get(profile, case.setup_calls) if profile else case.setup_calls


def status_bound(case: Case, listed: int, asked: int, *, gone: bool = False) -> int:
    """At most this many status calls to tell whether ``asked`` jobs are gone while the service lists
    ``listed`` jobs: one per page of the list (of the jobs asked about for ``status_by_id``), one per job
    for jobs gone from a list whose absence proves nothing, plus :data:`STATUS_SLACK`."""
    if case.gone_needs_detail and gone:
        return asked + STATUS_SLACK
    return math.ceil((asked if case.status_by_id else listed) / case.page_size) + STATUS_SLACK


@dataclass(frozen=True)
class Calls:
    """Requests the emulator answered during one run, by kind."""

    delete: int
    status: int
    setup: int
    other: int

    @property
    def total(self) -> int:
        return self.delete + self.status + self.setup + self.other

    def describe(self) -> str:
        parts = [f"{self.delete:,} delete", f"{self.status:,} status"]
        if self.setup:
            parts.append(f"{self.setup:,} auth/discovery")
        if self.other:
            parts.append(f"{self.other:,} other")
        return " + ".join(parts)


def calls_between(case: Case, before: dict[str, int], after: dict[str, int]) -> Calls:
    deletes = route_delta(before, after, case.delete_routes)
    status = route_delta(before, after, case.status_routes)
    setup = route_delta(before, after, case.setup_routes)
    total = after.get("total", 0) - before.get("total", 0)
    return Calls(deletes, status, setup, total - deletes - status - setup)


def limit_seconds(case: Case, calls: Calls, latency: float) -> float:
    """The network-bound limit of a run: every call waits ``latency``; only deletes run ``concurrency`` at a
    time (the status walk, authentication and discovery are sequential)."""
    return latency * (calls.total - calls.delete + math.ceil(calls.delete / case.concurrency))


def profile_connection(profile: str, url: str) -> dict[str, Any]:
    """The connection dict (``conn_type``, ``login``, ``password``, ``extra``) of a test profile."""
    from tests.profiles import all_profiles

    for candidate in all_profiles():
        if candidate.name == profile:
            return candidate.connection(url)
    raise KeyError(profile)


def airflow_connection(spec: dict[str, Any], conn_id: str) -> Connection:
    from airflow.sdk import Connection

    return Connection(
        conn_id=conn_id,
        conn_type=spec["conn_type"],
        login=spec.get("login"),
        password=spec.get("password"),
        extra=json.dumps(spec.get("extra", {})),
    )


def make_hook(case: Case, url: str, *, profile: str | None = None, fresh_tokens: bool = True) -> JobCleanupHook:
    """A hook for ``case`` built exactly as the operator builds it (``get_cleanup_hook`` with a connection).

    ``fresh_tokens`` forgets the process-wide token cache first, so authentication calls are counted.
    """
    from airflow_provider_jobcleanup.auth.token_cache import clear_shared_providers
    from airflow_provider_jobcleanup.services import get_cleanup_hook

    if fresh_tokens:
        clear_shared_providers()
    spec = profile_connection(profile or case.profile, url)
    conn_id = f"bench_{case.service}"
    return get_cleanup_hook(conn_id, case.service, connection=airflow_connection(spec, conn_id))


def prime(hook: Any) -> None:
    """Authenticate and discover what a hook discovers lazily (SCNet: login, center, cluster), so that the
    calls counted next are only status or delete calls."""
    if hook.service == "scnet":
        _ = (hook.hpc_url, hook.default_job_manager_id, hook.cluster_user)


def seed(admin: EmulatorAdmin, case: Case, count: int) -> list[str]:
    """``count`` new deletable jobs of ``case``'s service; returns their ids."""
    ids: list[str] = []
    while len(ids) < count:  # in slices, so one admin request stays small
        ids.extend(admin.seed(case.service, min(20_000, count - len(ids)), **case.seed_spec))
    return ids


def route_delta(before: dict[str, int], after: dict[str, int], routes: Sequence[str]) -> int:
    return sum(after.get(r, 0) - before.get(r, 0) for r in routes)


# ----------------------------------------------------------------------------------------------- emulator
@contextmanager
def emulator() -> Iterator[tuple[str, EmulatorAdmin]]:
    """A fresh ``jobcleanup-emulator`` subprocess on a free port: ``(url, admin)``."""
    from tests.emulator_client import EmulatorAdmin, EmulatorProcess

    process: EmulatorProcess = EmulatorProcess().start()
    try:
        yield process.url, EmulatorAdmin(process.url)
    finally:
        process.stop()


class LatencyAdmin:
    """The emulator's admin client with a per-request latency that survives ``reset()`` (a reset forgets the
    emulator's config, so it is set again after each one)."""

    def __init__(self, admin: EmulatorAdmin, latency_ms: float) -> None:
        self.admin = admin
        self.latency_ms = latency_ms
        admin.config(latency_ms=latency_ms)

    @property
    def latency(self) -> float:
        """Seconds."""
        return self.latency_ms / 1000

    def reset(self) -> None:
        self.admin.reset()
        self.admin.config(latency_ms=self.latency_ms)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.admin, name)


def with_latency(admin: Any, latency_ms: float) -> LatencyAdmin:
    return LatencyAdmin(admin.admin if isinstance(admin, LatencyAdmin) else admin, latency_ms)


def quiet_logging() -> None:
    """The transport logs every retry at WARNING: the benchmarks inject no faults, so keep the output clean."""
    for name in ("airflow_provider_jobcleanup", "airflow.task", "airflow.triggers", "benchmarks"):
        logging.getLogger(name).setLevel(logging.ERROR)


# ----------------------------------------------------------------------------------------------- timing
def timed(fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """``(wall seconds, process CPU seconds, result)`` of one call (CPU of every thread of this process)."""
    cpu0, wall0 = time.process_time(), time.perf_counter()
    result = fn()
    return time.perf_counter() - wall0, time.process_time() - cpu0, result


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f}/{five:.2f}"


# ----------------------------------------------------------------------------------------------- tables
@dataclass
class Row:
    """One line of a results table: what, measured, comparison, target, met."""

    label: str
    measured: str
    comparison: str
    target: str
    met: bool | None
    note: str = ""
    #: more comparison columns, shown between ``comparison`` and ``target``
    extra: tuple[str, ...] = ()

    def cells(self) -> list[str]:
        return [self.label, self.measured, self.comparison, *self.extra, self.target, _met(self.met)]


@dataclass
class Table:
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    header: tuple[str, ...] = ("case", "measured", "comparison", "target", "met?")

    def add(self, row: Row) -> None:
        self.rows.append(row)

    @property
    def all_met(self) -> bool:
        return all(r.met is not False for r in self.rows)

    def render(self) -> str:
        cells: list[list[str]] = [list(self.header)] + [r.cells() for r in self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(self.header))]
        lines = [f"### {self.title}", ""]
        for index, line in enumerate(cells):
            lines.append("| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)) + " |")
            if index == 0:
                lines.append("| " + " | ".join("-" * w for w in widths) + " |")
        for row in self.rows:
            if row.note:
                lines.append(f"- {row.label}: {row.note}")
        lines.extend(f"- {note}" for note in self.notes)
        return "\n".join(lines)


def _met(value: bool | None) -> str:
    return "n/a" if value is None else ("yes" if value else "NO")


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        from importlib.metadata import version

        airflow_version = version("apache-airflow")
    except Exception:
        airflow_version = "unknown"
    return {
        "cpus": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "airflow": airflow_version,
        "os": platform.platform(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "load": load(),
    }


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def rate(jobs: int, seconds: float) -> str:
    return f"{jobs / seconds:,.0f} jobs/s" if seconds > 0 else "inf"
