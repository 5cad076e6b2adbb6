"""The twenty DAG runs of the distributed run: what each one is given, what it must delete, how it must end.

Every job is seeded in the emulator; a run's ``targets`` are the jobs it must delete (for a watch run, the
jobs its sensor waits for, deleted by the matching cleanup run). Every seeded job that no run targets must be
untouched at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.emulator_client import EmulatorAdmin
from tests.profiles import ServiceProfile, all_profiles

DAY = 86400
SERVICES = ("ehpc", "scnet", "dli", "mrs", "res")
#: the connection profile per service, matching the harness's connections
PROFILE_NAMES = {
    "ehpc": "ehpc-aksk",
    "scnet": "scnet-password",
    "dli": "dli-password",
    "mrs": "mrs-password",
    "res": "res-password",
}
BULK_JOBS = 10_000
RETRIED_JOBS = 2_000


def profile(service: str) -> ServiceProfile:
    return next(p for p in all_profiles() if p.name == PROFILE_NAMES[service])


@dataclass
class Run:
    """One DAG run.

    :param report: ``(task_id, key)`` of the XCom holding the deletion report, if the run makes one.
    :param phase: when it is triggered (1: before the triggerer handover, 2: with the faults, 3: after).
    """

    dag_id: str
    service: str
    conf: dict[str, Any]
    phase: int
    expect: str = "success"
    targets: list[str] = field(default_factory=list)
    report: tuple[str, str] | None = None
    task_states: dict[str, str] = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        return f"dist__{self.dag_id}"


@dataclass
class Scenario:
    runs: list[Run]
    #: every job seeded, per service
    seeded: dict[str, set[str]]

    def run(self, dag_id: str) -> Run:
        return next(r for r in self.runs if r.dag_id == dag_id)

    def targets(self, service: str) -> set[str]:
        return {t for r in self.runs if r.service == service for t in r.targets}


def build(admin: EmulatorAdmin) -> Scenario:
    seeded: dict[str, set[str]] = {s: set() for s in SERVICES}

    def seed(service: str, count: int) -> tuple[list[str], dict[str, Any]]:
        ids, params = profile(service).seed(admin, count)
        seeded[service].update(ids)
        return ids, params

    def seed_raw(service: str, count: int, **spec: Any) -> list[str]:
        ids = admin.seed(service, count, **spec)
        seeded[service].update(ids)
        return ids

    runs: list[Run] = []
    for service in SERVICES:
        seed(service, 25)  # bystanders: look like every other job of the service, never targeted
        watched, params = seed(service, 5)
        conf = {"job_ids": watched, "service_params": params}
        runs.append(Run(f"dist_watch_{service}", service, conf, phase=1, task_states={"confirm_gone": "success"}))
        runs.append(
            Run(
                f"dist_cleanup_{service}",
                service,
                conf,
                phase=3,
                targets=watched,
                report=("cleanup.delete", "return_value"),
                task_states={"cleanup.delete": "success", "cleanup.confirm_gone": "success"},
            )
        )

    never_deleted, mrs_params = seed("mrs", 3)
    runs.append(
        Run(
            "dist_deadline",
            "mrs",
            {"job_ids": never_deleted, "service_params": mrs_params},
            phase=1,
            expect="failed",
            task_states={"confirm_gone": "failed"},
        )
    )

    for service in ("dli", "res", "ehpc"):
        jobs, params = seed(service, 6)
        runs.append(
            Run(
                f"dist_teardown_{service}",
                service,
                {"job_ids": jobs, "service_params": params, "fail": True},
                phase=2,
                expect="failed",
                targets=jobs,
                report=("cleanup.delete", "return_value"),
                task_states={"work": "failed", "cleanup.delete": "success", "cleanup.confirm_gone": "success"},
            )
        )

    kept, params = seed("mrs", 4)
    runs.append(
        Run(
            "dist_teardown_only_on_failure_mrs",
            "mrs",
            {"job_ids": kept, "service_params": params, "fail": False},
            phase=2,
            task_states={"work": "success", "cleanup.delete": "skipped", "cleanup.confirm_gone": "success"},
        )
    )

    for service in ("ehpc", "mrs"):
        jobs, params = seed(service, 5)
        runs.append(
            Run(
                f"dist_notifier_{service}",
                service,
                {"job_ids": jobs, "service_params": params},
                phase=2,
                expect="failed",
                targets=jobs,
                report=("pipeline_step", "failure_cleanup_report"),
                task_states={"pipeline_step": "failed"},
            )
        )

    # 10,000 old failed jobs among look-alikes the filter must not select (too recent, running, other name).
    bulk = seed_raw("mrs", BULK_JOBS, state="FAILED", name="bulk-etl", age_seconds=8 * DAY)
    seed_raw("mrs", 40, state="FAILED", name="bulk-etl", age_seconds=3600)
    seed_raw("mrs", 40, state="RUNNING", name="bulk-etl", age_seconds=8 * DAY)
    seed_raw("mrs", 40, state="FAILED", name="adhoc", age_seconds=8 * DAY)
    runs.append(
        Run(
            "dist_bulk_filter_cleanup",
            "mrs",
            {
                "job_filter": {"states": ["FAILED"], "older_than": "7d", "name_pattern": "bulk-etl-*"},
                "service_params": mrs_params,
            },
            phase=2,
            targets=bulk,
            report=("delete", "return_value"),
            task_states={"delete": "success", "confirm_gone": "success"},
        )
    )

    stuck = seed_raw("scnet", 15, state="statQ", name="stuck", age_seconds=2 * DAY)
    seed_raw("scnet", 5, state="statQ", name="stuck", age_seconds=600)
    runs.append(
        Run(
            "dist_scnet_stuck_cleanup",
            "scnet",
            {"job_filter": {"states": ["statQ"], "older_than": "1d"}, "service_params": {}},
            phase=2,
            targets=stuck,
            report=("delete", "return_value"),
            task_states={"delete": "success", "confirm_gone": "success"},
        )
    )

    retried, params = seed("dli", RETRIED_JOBS)
    runs.append(
        Run(
            "dist_delete_retried",
            "dli",
            {"job_ids": retried, "service_params": params},
            phase=2,
            targets=retried,
            report=("delete", "return_value"),
            task_states={"delete": "success", "confirm_gone": "success"},
        )
    )
    return Scenario(runs, seeded)
