"""``make demo``: every example DAG against the bundled emulator, and a summary table.

For each example: seed jobs it must delete and jobs it must keep, run it with ``airflow dags test``, then read
the deletion report from XCom and check the emulator's ground truth (targets gone, everything else untouched).
The output says what each check means, which DAG file ran, which requested ids never existed, and what to
try next.

Everything runs in a temporary Airflow home that is removed at the end (the log's tail is printed first when a
check fails), and every process it starts is stopped with its whole process group, whatever the outcome.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import processes  # noqa: E402
from tests.emulator_client import EmulatorAdmin, EmulatorProcess  # noqa: E402
from tests.example_runs import EXAMPLES, ExampleRun, connections, read_report  # noqa: E402

AIRFLOW = str(Path(sys.executable).parent / "airflow")
EXAMPLE_DIR = ROOT / "example_dags"
STILL_RUNNING_EVERY = 10  # seconds between two "still running" lines
COLUMNS = (
    f"{'service':8} {'requested':>9} {'deleted':>8} {'already gone':>12} {'failed':>7} {'API calls':>9} {'time':>7}"
    "  DAG"
)
TRY_PORT = 8765


def next_steps() -> str:
    """What to try after the demo, with commands ready to paste."""
    connection = json.dumps(connections(f"http://127.0.0.1:{TRY_PORT}")["huaweicloud_default"])
    seed = json.dumps({"service": "mrs", "count": 5, "state": "FAILED", "age_seconds": 8 * 86400})
    return f"""\
Next steps
  1. Read a DAG that just ran, e.g. example_dags/example_mrs_nightly_cleanup.py (scheduled cleanup by filter)
     or example_dags/example_mrs_clusters_mapped.py (one mapped task per cluster, delete and wait in one task).
  2. Run one example yourself against the emulator. In one shell:
       .venv/bin/jobcleanup-emulator --host 127.0.0.1 --port {TRY_PORT}
     in another:
       export AIRFLOW_HOME=/tmp/airflow-try AIRFLOW__CORE__DAGS_FOLDER=$PWD/example_dags
       export AIRFLOW_CONN_HUAWEICLOUD_DEFAULT='{connection}'
       curl -X POST 127.0.0.1:{TRY_PORT}/_emulator/jobs -d '{seed}'
       .venv/bin/airflow db migrate && .venv/bin/airflow dags test example_mrs_nightly_cleanup
       curl '127.0.0.1:{TRY_PORT}/_emulator/jobs?service=mrs'    # each job's deleted_at is now set
  3. Set dry_run=True in a copy of an example: the report lists would_delete and deletes nothing.
  4. Point a connection at your cloud account (README.md, "Connections") and start with dry_run=True.
  5. make test runs the whole suite (unit, emulator, real Airflow)."""


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


def run_airflow(args: list[str], env: dict[str, str], log: Path) -> tuple[str, float]:
    """Run an Airflow command, saying every few seconds that it is still running; returns its output (also
    appended to ``log``) and how long it took."""
    started = time.monotonic()
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(args)}\n")
        out.flush()
        start = out.tell()
        proc = processes.start(args, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            next_note = STILL_RUNNING_EVERY
            while proc.poll() is None:
                time.sleep(0.5)
                elapsed = time.monotonic() - started
                if elapsed >= next_note:
                    print(f"    ... still running ({elapsed:.0f} s)", flush=True)
                    next_note += STILL_RUNNING_EVERY
        finally:
            processes.stop(proc)
    with log.open() as text:
        text.seek(start)
        return text.read(), time.monotonic() - started


def run_example(
    number: int, example: ExampleRun, admin: EmulatorAdmin, env: dict[str, str], home: Path, log: Path
) -> tuple:
    scenario = example.seed(admin)
    dag_file = EXAMPLE_DIR / f"{example.dag_id}.py"
    print()
    step(f"[{number}/{len(EXAMPLES)}] {example.service}: DAG {example.dag_id} ({dag_file.relative_to(ROOT)})")
    print(textwrap.fill(_summary(dag_file), width=110, initial_indent="    ", subsequent_indent="    "))
    print(
        f"    seeded in the emulator: {len(scenario.targets)} jobs the DAG must delete, "
        f"{len(scenario.kept)} it must leave alone"
    )
    command = [AIRFLOW, "dags", "test", example.dag_id, "--conf", json.dumps(scenario.conf)]
    print(f"    running: airflow dags test {example.dag_id}{' --conf ...' if scenario.conf else ''}", flush=True)
    output, elapsed = run_airflow(command, env, log)
    print(f"    finished in {elapsed:.1f} s")
    report = read_report(str(home / "airflow.db"), example)
    live = admin.live_ids(example.service)
    expected_state = "failed" if example.run_fails else "success"
    run_check = (
        "the DAG run failed, as it must: the example simulates a failing pipeline, and the cleanup must not "
        "hide that failure"
        if example.run_fails
        else "the DAG run succeeded"
    )
    checks = {
        run_check: f"state={expected_state}" in output,
        "every job it had to delete is gone (asked the emulator, not the report)": not live & set(scenario.targets),
        "every other job is still there (nothing else was touched)": set(scenario.kept) <= live,
        "its report (the task's XCom) lists exactly those jobs as deleted": report is not None
        and sorted(report["deleted"]) == sorted(scenario.targets),
    }
    if scenario.already_gone:
        checks["the requested ids that never existed are reported as already gone, not as failures"] = (
            report is not None and sorted(report["already_gone"]) == sorted(scenario.already_gone)
        )
    for name, ok in checks.items():
        print(f"    [{'ok' if ok else 'FAILED'}] {name}")
    if scenario.already_gone:
        print(
            f"    already gone: {', '.join(scenario.already_gone)}: the DAG was asked to delete these ids, but "
            "the service has no such job (deleted earlier, or never existed). Nothing is left to delete, so "
            "they are reported as already gone, which is not a failure."
        )
    if report is not None and report.get("confirmed_gone"):
        print(
            f"    confirmed gone: {len(report['confirmed_gone'])} deleted jobs were checked again until the "
            "service showed them gone (wait_for_completion=True)"
        )
    return report, elapsed, checks


def _summary(path: Path) -> str:
    """The first paragraph of a DAG file's docstring: what the example does."""
    text = path.read_text()
    return " ".join(text.split('"""', 2)[1].strip().split("\n\n")[0].split()) if text.startswith('"""') else ""


def main() -> int:
    home = Path(tempfile.mkdtemp(prefix="jobcleanup-demo-"))
    emulator = EmulatorProcess()
    try:
        return run(emulator.start(), home)
    finally:
        emulator.stop()
        shutil.rmtree(home, ignore_errors=True)


def run(emulator: EmulatorProcess, home: Path) -> int:
    admin = EmulatorAdmin(emulator.url)
    log = home / "demo.log"
    (home / "tmp").mkdir()
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "TMPDIR": str(home / "tmp"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DAGS_FOLDER": str(EXAMPLE_DIR),
        **{f"AIRFLOW_CONN_{k.upper()}": json.dumps(v) for k, v in connections(emulator.url).items()},
    }
    print(
        "This demo runs every example DAG of example_dags/ in a real Airflow against the bundled emulator, a\n"
        "local server that speaks the five cloud APIs (nothing talks to a real cloud), then checks in the\n"
        "emulator what really happened."
    )
    step(f"emulator at {emulator.url}; temporary Airflow home {home} (removed at the end)")
    step("airflow db migrate (creates the temporary Airflow's database)")
    _, elapsed = run_airflow([AIRFLOW, "db", "migrate"], env, log)
    print(f"    finished in {elapsed:.1f} s")
    rows, all_ok = [], True
    for number, example in enumerate(EXAMPLES, start=1):
        report, elapsed, checks = run_example(number, example, admin, env, home, log)
        all_ok &= all(checks.values())
        rows.append((example, report, elapsed))
    print()
    print(COLUMNS)
    for example, report, elapsed in rows:
        if report is None:
            print(f"{example.service:8} (no report found: see the log below)")
            continue
        print(
            f"{example.service:8} {len(report['requested']):>9} {len(report['deleted']):>8} "
            f"{len(report['already_gone']):>12} {len(report['failed']):>7} {report['api_calls']:>9} "
            f"{elapsed:>6.1f}s  {example.dag_id}"
        )
    print()
    print("requested: ids the delete task was given or selected by its filter; deleted: deleted by this run;")
    print("already gone: not found, or already in the deleted state: nothing to delete; failed: could not be")
    print("deleted (for example still running).")
    print("API calls: requests the delete task sent (authentication included); confirm-gone polls are extra.")
    print("time: the whole `airflow dags test` run, Airflow start-up included.")
    print()
    if not all_ok:
        print(f"SOME CHECKS FAILED; the last lines of the Airflow log:\n{log.read_text()[-8000:]}")
        return 1
    print("all checks passed")
    print()
    print(next_steps())
    return 0


if __name__ == "__main__":
    sys.exit(main())
