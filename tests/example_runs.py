"""How each example DAG is run against the emulator: the connections it needs, what to seed, and the
expected outcome. Shared by the example tests and ``make demo``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from airflow_provider_jobcleanup.emulator.huawei_mrs import DEFAULT_CLUSTER_ID
from tests.emulator_client import EmulatorAdmin
from tests.profiles.alibaba import ehpc_connection
from tests.profiles.huawei import RES_PARAMS, password_connection
from tests.profiles.scnet import scnet_password_connection

DAY = 86400


@dataclass
class Scenario:
    """Seeded jobs for one example run.

    :param targets: jobs the example must delete.
    :param kept: jobs it must leave alone.
    :param conf: the DAG run conf.
    :param already_gone: ids the example is asked to delete that do not exist.
    """

    targets: list[str]
    kept: list[str]
    conf: dict[str, Any] = field(default_factory=dict)
    already_gone: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ExampleRun:
    dag_id: str
    service: str
    task_id: str | None  # the task whose XCom holds the report (None: the notifier's XCom key is used)
    seed: Callable[[EmulatorAdmin], Scenario]
    run_fails: bool = False  # the example simulates a pipeline failure that must stay visible
    mapped: bool = False  # the task is mapped: the reports of all its instances are merged
    log_lines: tuple[str, ...] = ()  # text the run's output must contain


def connections(url: str) -> dict[str, Any]:
    """``AIRFLOW_CONN_*`` values for the default connection ids the examples use."""
    return {
        "huaweicloud_default": password_connection(url),
        "alibaba_ehpc_default": ehpc_connection(url),
        "scnet_default": scnet_password_connection(url),
    }


def seed_mrs(admin: EmulatorAdmin) -> Scenario:
    targets = admin.seed("mrs", 40, state="FAILED", name="nightly-etl", age_seconds=8 * DAY)
    kept = admin.seed("mrs", 5, state="FAILED", name="nightly-etl", age_seconds=3600)
    kept += admin.seed("mrs", 5, state="RUNNING", name="streaming", age_seconds=9 * DAY)
    return Scenario(targets, kept)


#: the second MRS cluster of example_mrs_clusters_mapped (the first is the emulator's default cluster)
OTHER_MRS_CLUSTER = "7b9d8a3f-2c4e-4f6a-9bac-1d2e3f4a5b6c"


def seed_mrs_clusters(admin: EmulatorAdmin) -> Scenario:
    targets, kept = [], []
    for cluster, count in ((None, 6), (OTHER_MRS_CLUSTER, 4)):
        attrs = {"cluster_id": cluster} if cluster else {}
        targets += admin.seed("mrs", count, state="FAILED", age_seconds=2 * DAY, attrs=attrs)
        kept += admin.seed("mrs", 2, state="FAILED", age_seconds=600, attrs=attrs)
        kept += admin.seed("mrs", 1, state="RUNNING", age_seconds=2 * DAY, attrs=attrs)
    return Scenario(targets, kept)


def seed_dli(admin: EmulatorAdmin) -> Scenario:
    targets = admin.seed("dli", 12, state="job_running")
    kept = admin.seed("dli", 3, state="job_running")
    missing = [999999901, 999999902]  # e.g. jobs someone already deleted by hand
    conf = {"job_ids": [int(j) for j in targets] + missing, "simulate_failure": True}
    return Scenario(targets, kept, conf, already_gone=[str(j) for j in missing])


def seed_res(admin: EmulatorAdmin) -> Scenario:
    targets = admin.seed("res", 6, state="FAILED", attrs={"type": RES_PARAMS["type"]})
    kept = admin.seed("res", 2, state="FAILED", attrs={"type": RES_PARAMS["type"]})
    return Scenario(targets, kept, {"job_ids": targets, "simulate_failure": True})


def seed_ehpc(admin: EmulatorAdmin) -> Scenario:
    targets = admin.seed("ehpc", 8, state="Running")
    kept = admin.seed("ehpc", 3, state="Running")
    return Scenario(targets, kept, {"job_ids": targets, "simulate_failure": True})


def seed_scnet(admin: EmulatorAdmin) -> Scenario:
    targets = admin.seed("scnet", 15, state="statQ", age_seconds=2 * DAY)
    kept = admin.seed("scnet", 4, state="statQ", age_seconds=600) + admin.seed("scnet", 4, state="statR")
    return Scenario(targets, kept)


EXAMPLES = [
    ExampleRun("example_mrs_nightly_cleanup", "mrs", "delete_failed_job_executions", seed_mrs),
    ExampleRun(
        "example_mrs_clusters_mapped",
        "mrs",
        "delete_failed_jobs",
        seed_mrs_clusters,
        mapped=True,
        log_lines=(
            f"mrs cluster {DEFAULT_CLUSTER_ID}: deleting 6 jobs",
            f"mrs cluster {DEFAULT_CLUSTER_ID}: all 6 deleted jobs confirmed gone",
            f"mrs cluster {OTHER_MRS_CLUSTER}: deleting 4 jobs",
            f"mrs cluster {OTHER_MRS_CLUSTER}: all 4 deleted jobs confirmed gone",
        ),
    ),
    ExampleRun("example_dli_teardown_cleanup", "dli", "cleanup_flink_jobs.delete", seed_dli, run_fails=True),
    ExampleRun("example_res_cleanup_on_failure", "res", "cleanup_etl_jobs.delete", seed_res, run_fails=True),
    ExampleRun("example_ehpc_failure_notifier", "ehpc", None, seed_ehpc, run_fails=True),
    ExampleRun("example_scnet_stuck_jobs_cleanup", "scnet", "delete_stuck_queued_jobs", seed_scnet),
]


def read_report(db_path: str, example: ExampleRun) -> dict[str, Any] | None:
    """The newest deletion report of ``example`` from the Airflow metadata DB (SQLite)."""
    import json
    import sqlite3

    task_id, key = (
        (example.task_id, "return_value") if example.task_id else ("run_simulation", "failure_cleanup_report")
    )
    with sqlite3.connect(db_path) as db:
        rows = db.execute(
            "SELECT value FROM xcom WHERE dag_id=? AND task_id=? AND key=? AND run_id=("
            "SELECT run_id FROM xcom WHERE dag_id=? ORDER BY rowid DESC LIMIT 1) ORDER BY map_index",
            (example.dag_id, task_id, key, example.dag_id),
        ).fetchall()
    reports = []
    for (value,) in rows:
        while isinstance(value, (str, bytes)):
            value = json.loads(value)
        reports.append(value)
    if not reports:
        return None
    return reports[0] if len(reports) == 1 else merge_reports(reports)


def merge_reports(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """One report for the instances of a mapped task: ids concatenated, failures merged, calls added."""
    merged = dict(reports[0])
    for report in reports[1:]:
        for key, value in report.items():
            if isinstance(value, list):
                merged[key] = [*merged.get(key, []), *value]
            elif isinstance(value, dict):
                merged[key] = {**merged.get(key, {}), **value}
            elif key == "api_calls":
                merged[key] = merged.get(key, 0) + value
    return merged
