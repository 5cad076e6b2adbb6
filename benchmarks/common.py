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
    """One service as the benchmarks exercise it.

    :param service: the ``service=`` value.
    :param profile: the ``tests/profiles`` profile (service and auth mode) whose connection is used.
    :param seed_spec: state/attrs of seeded, deletable jobs.
    :param params: the service parameters the hook needs to delete them.
    :param delete_routes: emulator stats keys of the delete call.
    :param status_routes: emulator stats keys of read-only status/list calls.
    :param setup_routes: emulator stats keys of authentication and discovery calls.
    :param batch_limit: most jobs one delete call takes (the hook's ``batch_limit``).
    :param concurrency: requests the hook keeps in flight while deleting.
    """

    service: str
    profile: str
    seed_spec: dict[str, Any]
    params: dict[str, Any]
    delete_routes: tuple[str, ...]
    status_routes: tuple[str, ...]
    setup_routes: tuple[str, ...]
    batch_limit: int
    concurrency: int = 1
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


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
            notes="login + center + cluster discovery before the deletes",
        ),
    }


CASES: dict[str, Case] = _cases()
SERVICE_ORDER: tuple[str, ...] = ("mrs", "dli", "res", "ehpc", "scnet")


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


def seed(admin: EmulatorAdmin, case: Case, count: int) -> list[str]:
    """``count`` new deletable jobs of ``case``'s service; returns their ids."""
    ids: list[str] = []
    while len(ids) < count:  # in slices, so one admin request stays small
        ids.extend(admin.seed(case.service, min(20_000, count - len(ids)), **case.seed_spec))
    return ids


def reseed(admin: EmulatorAdmin, case: Case, job_ids: Sequence[str]) -> None:
    """Make exactly these job ids exist (again), so recorded requests can be replayed against them."""
    for start in range(0, len(job_ids), 20_000):
        admin.seed_jobs(case.service, [{"job_id": j, **case.seed_spec} for j in job_ids[start : start + 20_000]])


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
