"""The provider on a distributed Airflow: CeleryExecutor with two workers, PostgreSQL, Redis, two triggerers,
and a failure in the middle (``make test-distributed``; excluded from ``make test`` by its marker).

Twenty DAG runs over all five services and every pattern run at once; then, while they run:

* the triggerer holding every waiting trigger is SIGKILLed (its whole process tree): the other triggerer must
  take the triggers over and each must keep the deadline fixed when its sensor deferred;
* the Celery worker running a slowed 2,000-job delete is SIGKILLed part-way: Airflow must fail that try on the
  missed heartbeats and run it again on the surviving worker, which finds the first try's deletions gone.

Everything is then checked against the emulator's own record and the reports in PostgreSQL.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.distributed.cluster import Cluster, log, running_cluster
from tests.distributed.observer import Observer
from tests.distributed.processes import tree
from tests.distributed.scenario import BULK_JOBS, SERVICES, Run, Scenario, build

pytestmark = pytest.mark.distributed

WORKERS = ("worker-1", "worker-2")
FINISHED = ("success", "failed")
#: slack on "the trigger fired at its deadline": one poll interval, the triggerer loop, the observer's sampling
DEADLINE_SLACK = 15.0


@pytest.fixture(scope="module")
def cluster():
    started = time.monotonic()
    with running_cluster() as running:
        running.started = started  # type: ignore[attr-defined]
        yield running


@pytest.mark.timeout(1500)
def test_twenty_runs_survive_a_killed_triggerer_and_a_killed_worker(cluster: Cluster) -> None:
    try:
        figures = exercise(cluster)
    except BaseException:
        cluster.dump_logs(["scheduler", "worker-1", "worker-2", "triggerer-1", "triggerer-2", "dag-processor"])
        raise
    figures["total time"] = f"{time.monotonic() - cluster.started:.0f} s"  # type: ignore[attr-defined]
    print("\n==== distributed run: measured ====", flush=True)
    for name, value in figures.items():
        print(f"{name}: {value}", flush=True)


def exercise(c: Cluster) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    setup_done = time.monotonic()
    triggerer_a = c.start_triggerer("triggerer-1")
    scenario = build(c.emulator)
    seeded = sum(len(ids) for ids in scenario.seeded.values())
    log(f"seeded {seeded} jobs; {len(scenario.runs)} runs")
    dag_ids = {r.dag_id for r in scenario.runs}
    parsed = lambda: dag_ids <= {row[0] for row in c.query("SELECT dag_id FROM serialized_dag")}  # noqa: E731
    c.wait("the DAGs to be parsed", parsed, 300)
    figures["setup (PostgreSQL, Redis, emulator, migration, Airflow processes, parsing)"] = (
        f"{time.monotonic() - c.started:.0f} s"  # type: ignore[attr-defined]
    )

    with Observer(c.dsn) as obs:
        # Phase 1: sensors that wait in triggerer-1 (the only triggerer so far) until the jobs are deleted.
        waiting = [r for r in scenario.runs if r.phase == 1]
        trigger_all(c, waiting)
        keys = [(r.dag_id, "confirm_gone") for r in waiting]
        c.wait(
            "the sensors to defer to triggerer-1", lambda: all(obs.holders(k)[-1:] == [triggerer_a] for k in keys), 300
        )
        triggerer_b = c.start_triggerer("triggerer-2")

        # The delete whose worker is killed runs alone on the workers (every other task waits in the
        # triggerer), with DLI answers slowed so that its 2,000 jobs take many seconds.
        retried = scenario.run("dist_delete_retried")
        c.emulator.faults(rate=1.0, kinds={"slow": 1.0}, slow_seconds=0.5, services=["dli"])
        trigger_all(c, [retried])

        triggerer_killed = c.procs.kill("triggerer-1")
        log(f"SIGKILLed triggerer-1 (job {triggerer_a}) holding {len(keys)} waiting triggers")

        done_before_kill, worker = kill_worker_mid_delete(c, retried)
        worker_killed = time.time()
        c.emulator.faults(rate=0.0)
        log(f"SIGKILLed {worker} while it deleted: {done_before_kill} of {len(retried.targets)} jobs deleted")

        # Phase 2: every other pattern, while the lost delete waits for Airflow to notice and retry it.
        trigger_all(c, [r for r in scenario.runs if r.phase == 2 and r is not retried])
        time.sleep(5)  # the dead try makes no progress: only a request already in the emulator may complete
        after_kill = deleted_count(c, retried)

        c.wait(
            "the orphaned triggers to move to triggerer-2",
            lambda: all(obs.assigned_at(k, triggerer_b) for k in keys),
            180,
        )
        handed = {k: obs.assigned_at(k, triggerer_b) - triggerer_killed for k in keys}  # type: ignore[operator]
        log(f"orphaned triggers running on triggerer-2 within {max(handed.values()):.1f} s of the kill")

        # Phase 3: the cleanups that delete what the phase-1 sensors wait for.
        trigger_all(c, [r for r in scenario.runs if r.phase == 3])
        states = c.wait("every run to finish", lambda: finished(c, scenario), 900, interval=2)
        deadline_fired = obs.left_deferred_at(("dist_deadline", "confirm_gone"))
        deadlines = {k: set(obs.deadlines[k]) for k in keys}
        retry_started = obs.first(
            ("dist_delete_retried", "delete"), lambda state, tries: tries >= 2 and state == "running"
        )

    # ------------------------------------------------------------------ checks
    wrong = {r.dag_id: states[r.dag_id] for r in scenario.runs if states[r.dag_id] != r.expect}
    assert not wrong, f"runs that ended in the wrong state: {wrong}"
    check_task_states(c, scenario)
    check_emulator_record(c, scenario)
    check_reports(c, scenario)

    # the retried delete: the second try (on the surviving worker) found the first try's deletions gone
    tries = c.query("SELECT try_number FROM task_instance WHERE dag_id = 'dist_delete_retried' AND task_id = 'delete'")
    assert tries == [(2,)], tries
    report = xcom(c, retried, "delete", "return_value")
    assert len(report["already_gone"]) >= done_before_kill > 0, (len(report["already_gone"]), done_before_kill)
    assert len(report["deleted"]) > 0

    # every orphaned trigger kept the deadline fixed when its sensor deferred ...
    for key, seen in deadlines.items():
        assert len(seen) == 1, f"{key}: deadline changed across the handover: {sorted(seen)}"
    # ... and the one nobody satisfies fired at that deadline, on the surviving triggerer, not later
    (deadline,) = deadlines[("dist_deadline", "confirm_gone")]
    assert deadline_fired is not None
    assert triggerer_killed < deadline, "the triggerer was killed after the deadline: nothing handed over"
    assert deadline - 1 <= deadline_fired <= deadline + DEADLINE_SLACK, deadline_fired - deadline
    assert "still present at the deadline" in task_log(c, "dist_deadline")

    stats = c.emulator.stats()
    bulk = scenario.run("dist_bulk_filter_cleanup")
    bulk_report = xcom(c, bulk, "delete", "return_value")
    figures.update(
        {
            "runs": f"{len(scenario.runs)} ({sum(r.expect == 'success' for r in scenario.runs)} succeed, "
            f"{sum(r.expect == 'failed' for r in scenario.runs)} fail as designed); "
            f"{sum(len(r.targets) for r in scenario.runs)} jobs deleted out of {seeded} seeded",
            "orphaned triggers": f"{len(keys)}, running on triggerer-2 {min(handed.values()):.1f}-"
            f"{max(handed.values()):.1f} s after triggerer-1 was SIGKILLed "
            "(a triggerer counts as dead 15 s after its last heartbeat)",
            "deadline run": f"timed out {deadline_fired - deadline:+.1f} s from the deadline set before the handover",
            "killed worker": f"{worker} at {done_before_kill}/{len(retried.targets)} jobs deleted "
            f"({after_kill} 5 s later); try 2 started {retry_started - worker_killed:.0f} s after the kill "
            f"and reported {len(report['deleted'])} deleted, {len(report['already_gone'])} already gone"
            if retry_started
            else "try 2 not observed",
            "10,000-job run": f"{len(bulk_report['deleted'])} deleted, {bulk_report['api_calls']} API calls, "
            f"delete task {task_seconds(c, 'dist_bulk_filter_cleanup', 'delete'):.0f} s",
            "API calls (emulator)": f"{stats.get('total', 0)} in all; "
            + ", ".join(f"{s} {stats.get(f'service:{s}', 0)}" for s in SERVICES),
            "test run (after setup)": f"{time.monotonic() - setup_done:.0f} s",
        }
    )
    return figures


# ---------------------------------------------------------------------------------------------- steps
def trigger_all(c: Cluster, runs: list[Run]) -> None:
    for run in runs:
        c.trigger(run.dag_id, run.run_id, run.conf)
    log(f"triggered {', '.join(r.dag_id for r in runs)}")


def deleted_count(c: Cluster, run: Run) -> int:
    targets = set(run.targets)
    return sum(1 for j in c.emulator.jobs(run.service) if j["job_id"] in targets and j["deleted_at"] is not None)


def kill_worker_mid_delete(c: Cluster, run: Run) -> tuple[int, str]:
    """Once ``run``'s delete has deleted some but not all of its jobs, SIGKILL the Celery worker running it."""

    def part_way() -> int:
        done = deleted_count(c, run)
        assert done < len(run.targets), "the delete finished before its worker could be killed"
        return done

    c.wait("the retried delete to be part-way", part_way, 300, interval=0.2)
    rows = c.query(
        "SELECT pid FROM task_instance WHERE dag_id = %s AND task_id = 'delete' AND state = 'running'", run.dag_id
    )
    assert rows and rows[0][0], f"no running delete task with a pid: {rows}"
    pid = rows[0][0]
    worker = next((w for w in WORKERS if pid in {p.pid for p in tree(c.procs.pid(w))}), None)
    assert worker is not None, f"pid {pid} of the delete task is under no worker"
    c.procs.kill(worker)
    done = deleted_count(c, run)
    assert done < len(run.targets), "the delete finished before its worker was killed"
    return done, worker


def finished(c: Cluster, scenario: Scenario) -> dict[str, str] | None:
    rows = dict(c.query("SELECT dag_id, state FROM dag_run WHERE run_id LIKE %s", "dist\\_\\_%"))
    if len(rows) == len(scenario.runs) and all(state in FINISHED for state in rows.values()):
        return rows
    return None


# ---------------------------------------------------------------------------------------------- checks
def check_task_states(c: Cluster, scenario: Scenario) -> None:
    for run in scenario.runs:
        states = dict(c.query("SELECT task_id, state FROM task_instance WHERE dag_id = %s", run.dag_id))
        for task_id, expected in run.task_states.items():
            assert states.get(task_id) == expected, f"{run.dag_id}.{task_id}: {states}"


def check_emulator_record(c: Cluster, scenario: Scenario) -> None:
    """Every target gone, deleted once; every other job untouched."""
    for service in SERVICES:
        jobs = {j["job_id"]: j for j in c.emulator.jobs(service)}
        targets = scenario.targets(service)
        assert scenario.seeded[service] <= set(jobs), f"{service}: seeded jobs missing from the record"
        left = sorted(t for t in targets if jobs[t]["deleted_at"] is None)
        assert not left, f"{service}: {len(left)} targets still exist, e.g. {left[:5]}"
        twice = sorted(i for i, j in jobs.items() if j["delete_count"] > 1)
        assert not twice, f"{service}: deleted more than once: {twice[:5]}"
        touched = sorted(i for i, j in jobs.items() if i not in targets and (j["deleted_at"] or j["delete_count"]))
        assert not touched, f"{service}: {len(touched)} jobs touched that no run targets, e.g. {touched[:5]}"
        log(f"{service}: {len(targets)} targets gone (deleted once each), {len(jobs) - len(targets)} others untouched")


def check_reports(c: Cluster, scenario: Scenario) -> None:
    """Each report in PostgreSQL accounts for exactly its run's targets, with nothing failed."""
    for run in scenario.runs:
        if run.report is None:
            continue
        report = xcom(c, run, *run.report)
        assert report is not None, f"{run.dag_id}: no report in XCom"
        requested, deleted, gone = set(report["requested"]), set(report["deleted"]), set(report["already_gone"])
        assert len(report["requested"]) == len(requested) == len(run.targets), run.dag_id
        assert requested == set(run.targets), f"{run.dag_id}: requested is not the run's targets"
        assert deleted | gone == requested and not deleted & gone, f"{run.dag_id}: {report}"
        assert report["failed"] == {}, f"{run.dag_id}: {report['failed']}"
        assert report["service"] == run.service and report["dry_run"] is False
    bulk = scenario.run("dist_bulk_filter_cleanup")
    for key in ("requested", "deleted"):
        assert sorted(xcom(c, bulk, "delete", key)) == sorted(bulk.targets), f"XCom {key} incomplete"
    assert len(xcom(c, bulk, "delete", "return_value")["deleted"]) == BULK_JOBS
    assert sorted(xcom(c, bulk, "confirm_gone", "return_value")["gone"]) == sorted(bulk.targets)


def xcom(c: Cluster, run: Run, task_id: str, key: str) -> Any:
    rows = c.query(
        "SELECT value FROM xcom WHERE dag_id = %s AND run_id = %s AND task_id = %s AND key = %s",
        run.dag_id,
        run.run_id,
        task_id,
        key,
    )
    if not rows:
        return None
    value = rows[0][0]
    while isinstance(value, (str, bytes)):
        value = json.loads(value)
    return value


def task_seconds(c: Cluster, dag_id: str, task_id: str) -> float:
    rows = c.query(
        "SELECT EXTRACT(EPOCH FROM end_date - start_date) FROM task_instance WHERE dag_id = %s AND task_id = %s",
        dag_id,
        task_id,
    )
    return float(rows[0][0]) if rows and rows[0][0] is not None else float("nan")


def task_log(c: Cluster, dag_id: str) -> str:
    logs = sorted(Path(c.home, "logs").glob(f"dag_id={dag_id}/**/*.log"))
    return "\n".join(p.read_text(errors="replace") for p in logs)
