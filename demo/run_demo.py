"""``make demo``: run the example cleanup DAG against the bundled emulator and show what it deleted.

1. start ``jobcleanup-emulator`` on a free local port and seed MRS job executions of several ages and states;
2. give Airflow a throw-away home (SQLite) and a ``huaweicloud_default`` connection pointing at the emulator;
3. run ``airflow dags test example_mrs_nightly_cleanup``;
4. print the operator's report (from XCom) and the emulator's before/after view, side by side.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.emulator_client import EmulatorAdmin, EmulatorProcess  # noqa: E402
from tests.profiles.huawei import password_connection  # noqa: E402

DAG_ID = "example_mrs_nightly_cleanup"
DAY = 86400


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


def seed(admin: EmulatorAdmin) -> dict[str, list[str]]:
    return {
        "failed, 8-30 days old (should go)": admin.seed(
            "mrs", 40, state="FAILED", name="nightly-etl", age_seconds=8 * DAY
        )
        + admin.seed("mrs", 20, state="FAILED", name="adhoc", age_seconds=30 * DAY),
        "failed, 1 hour old (kept)": admin.seed("mrs", 5, state="FAILED", name="nightly-etl", age_seconds=3600),
        "running (kept)": admin.seed("mrs", 5, state="RUNNING", name="streaming", age_seconds=9 * DAY),
        "succeeded (kept)": admin.seed("mrs", 10, state="FINISHED", name="report", age_seconds=10 * DAY),
    }


def airflow(env: dict[str, str], *args: str, log: Path) -> int:
    with log.open("a") as out:
        out.write(f"\n$ airflow {' '.join(args)}\n")
        out.flush()
        proc = subprocess.Popen([str(Path(sys.executable).parent / "airflow"), *args], env=env, stdout=out, stderr=out)
        while proc.poll() is None:
            print(".", end="", flush=True)
            time.sleep(1)
    print(flush=True)
    return proc.returncode


def read_report(home: Path) -> dict:
    with sqlite3.connect(home / "airflow.db") as db:
        row = db.execute(
            "SELECT value FROM xcom WHERE dag_id=? AND task_id=? AND key='return_value' ORDER BY rowid DESC LIMIT 1",
            (DAG_ID, "delete_failed_job_executions"),
        ).fetchone()
    if row is None:
        raise SystemExit("no report found in XCom: see the log above")
    value = row[0]
    value = json.loads(value) if isinstance(value, (str, bytes)) else value
    return json.loads(value) if isinstance(value, str) else value


def main() -> int:
    emulator = EmulatorProcess().start()
    try:
        admin = EmulatorAdmin(emulator.url)
        step(f"emulator running at {emulator.url}")
        groups = seed(admin)
        for label, ids in groups.items():
            print(f"    seeded {len(ids):3d} MRS job executions: {label}")
        home = Path(tempfile.mkdtemp(prefix="jobcleanup-demo-"))
        env = {
            **os.environ,
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "example_dags"),
            "AIRFLOW_CONN_HUAWEICLOUD_DEFAULT": json.dumps(password_connection(emulator.url)),
        }
        log = home / "demo.log"
        step(f"preparing Airflow in {home} (log: {log})")
        if airflow(env, "db", "migrate", log=log) != 0:
            print(log.read_text()[-4000:])
            return 1
        step(f"airflow dags test {DAG_ID}")
        started = time.monotonic()
        code = airflow(env, "dags", "test", DAG_ID, log=log)
        elapsed = time.monotonic() - started
        if code != 0:
            print(log.read_text()[-6000:])
            return code
        report = read_report(home)
        after = admin.jobs("mrs")
        live = Counter(j["state"] for j in after if j["deleted_at"] is None)
        deleted_ids = {j["job_id"] for j in after if j["deleted_at"] is not None}
        expected = set(groups["failed, 8-30 days old (should go)"])
        print()
        print(
            f"{'service':8} {'requested':>9} {'deleted':>8} {'already gone':>12} "
            f"{'failed':>7} {'API calls':>9} {'time':>8}"
        )
        print(
            f"{report['service']:8} {len(report['requested']):>9} {len(report['deleted']):>8} "
            f"{len(report['already_gone']):>12} {len(report['failed']):>7} {report['api_calls']:>9} {elapsed:>7.1f}s"
        )
        print()
        print(f"emulator afterwards: {len(deleted_ids)} deleted; still present by state: {dict(live)}")
        ok = deleted_ids == expected and set(report["deleted"]) == expected
        print("deleted exactly the old failed jobs, nothing else:", "yes" if ok else "NO")
        return 0 if ok else 1
    finally:
        emulator.stop()


if __name__ == "__main__":
    sys.exit(main())
