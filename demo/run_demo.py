"""``make demo``: every example DAG against the bundled emulator, one per service, and a summary table.

For each service: seed jobs the example must delete and jobs it must keep, run the example with
``airflow dags test``, then read the deletion report from XCom and check the emulator's ground truth
(targets gone, everything else untouched).

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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests import processes  # noqa: E402
from tests.emulator_client import EmulatorAdmin, EmulatorProcess  # noqa: E402
from tests.example_runs import EXAMPLES, ExampleRun, connections, read_report  # noqa: E402

AIRFLOW = str(Path(sys.executable).parent / "airflow")
COLUMNS = (
    f"{'service':8} {'requested':>9} {'deleted':>8} {'already gone':>12} {'failed':>7} {'API calls':>9} {'time':>7}"
)


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


def run_with_progress(args: list[str], env: dict[str, str], log: Path) -> str:
    """Run an Airflow command, printing a dot per second; returns its output (also appended to ``log``)."""
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(args)}\n")
        out.flush()
        start = out.tell()
        proc = processes.start(args, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            while proc.poll() is None:
                print(".", end="", flush=True)
                time.sleep(1)
        finally:
            processes.stop(proc)
    print(flush=True)
    with log.open() as text:
        text.seek(start)
        return text.read()


def run_example(example: ExampleRun, admin: EmulatorAdmin, env: dict[str, str], home: Path, log: Path) -> tuple:
    scenario = example.seed(admin)
    step(f"{example.service}: {example.dag_id} ({len(scenario.targets)} jobs to delete, {len(scenario.kept)} to keep)")
    started = time.monotonic()
    output = run_with_progress([AIRFLOW, "dags", "test", example.dag_id, "--conf", json.dumps(scenario.conf)], env, log)
    elapsed = time.monotonic() - started
    report = read_report(str(home / "airflow.db"), example)
    live = admin.live_ids(example.service)
    expected_state = "failed" if example.run_fails else "success"
    checks = {
        f"run {expected_state}{' (simulated pipeline failure stays visible)' if example.run_fails else ''}": (
            f"state={expected_state}" in output
        ),
        "every target deleted": not live & set(scenario.targets),
        "nothing else touched": set(scenario.kept) <= live,
        "report matches": report is not None and sorted(report["deleted"]) == sorted(scenario.targets),
    }
    return report, elapsed, checks


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
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "example_dags"),
        **{f"AIRFLOW_CONN_{k.upper()}": json.dumps(v) for k, v in connections(emulator.url).items()},
    }
    step(f"emulator at {emulator.url}; temporary Airflow home {home} (removed at the end)")
    step("airflow db migrate")
    run_with_progress([AIRFLOW, "db", "migrate"], env, log)
    rows, all_ok = [], True
    for example in EXAMPLES:
        report, elapsed, checks = run_example(example, admin, env, home, log)
        for name, ok in checks.items():
            print(f"    [{'ok' if ok else 'FAILED'}] {name}")
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
            f"{elapsed:>6.1f}s"
        )
    print()
    print("API calls: requests the delete task sent (authentication included); confirm-gone polls are extra.")
    if all_ok:
        print("all checks passed")
        return 0
    print(f"SOME CHECKS FAILED; the last lines of the Airflow log:\n{log.read_text()[-8000:]}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
