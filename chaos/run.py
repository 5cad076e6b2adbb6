"""``make chaos``: the full chaos run, ten thousand jobs per service at a 30% fault rate, with a summary.

    .venv/bin/python -m chaos.run [--jobs 10000] [--rate 0.3] [--service mrs-password ...]

Starts its own emulator process (stopped with its process group at the end) and a throw-away ``AIRFLOW_HOME``
(removed at exit); exits non-zero when any service shows a problem (see chaos/harness.py).
"""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import shutil
import sys
import tempfile

if "AIRFLOW_HOME" not in os.environ:
    os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="jobcleanup-chaos-")
    atexit.register(shutil.rmtree, os.environ["AIRFLOW_HOME"], ignore_errors=True)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")


def main(argv: list[str] | None = None) -> int:
    from chaos.harness import CHAOS_PROFILES, run_chaos
    from tests.emulator_client import EmulatorAdmin, EmulatorProcess

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=10_000, help="target jobs per service")
    parser.add_argument("--rate", type=float, default=0.3, help="share of requests that get a fault")
    parser.add_argument("--service", action="append", choices=CHAOS_PROFILES, help="profile(s) to run")
    parser.add_argument("--seed", type=int, default=8)
    args = parser.parse_args(argv)
    for name in ("airflow_provider_jobcleanup", "airflow.task"):
        logging.getLogger(name).setLevel(logging.ERROR)

    process = EmulatorProcess().start()
    results = []
    try:
        admin = EmulatorAdmin(process.url)
        for name in args.service or CHAOS_PROFILES:
            print(f"==> {name}: deleting {args.jobs} jobs at a {args.rate:.0%} fault rate ...", flush=True)
            result = run_chaos(admin, name, targets=args.jobs, rate=args.rate, seed=args.seed)
            results.append(result)
            print("    " + result.summary_line(), flush=True)
            for number, numbers in enumerate(result.passes, 1):
                print(f"    run {number}: {numbers}", flush=True)
            for line in result.crashed_passes:
                print(f"    stopped before deleting anything (retried): {line}", flush=True)
            for problem in result.problems:
                print(f"    PROBLEM: {problem}", flush=True)
    finally:
        process.stop()

    print()
    header = (
        f"{'service':8}{'targets':>8}{'deleted':>9}{'gone':>7}{'failed':>7}{'runs':>5}{'bystand.':>9}"
        f"{'touched':>8}{'2x del':>7}{'requests':>9}{'retries':>8}{'max att':>8}{'logins':>7}"
        f"{'429':>6}{'503':>6}{'slow':>6}{'reset':>6}{'lost':>6}{'secs':>7}  ok"
    )
    print(header)
    for r in results:
        f = r.faults
        print(
            f"{r.service:8}{r.targets:>8}{r.deleted:>9}{r.already_gone:>7}{r.failed:>7}{len(r.passes):>5}"
            f"{r.bystanders:>9}{r.bystanders_touched:>8}{r.deleted_twice:>7}{r.requests:>9}{r.retries:>8}"
            f"{f'{r.most_attempts}/{r.max_attempts}':>8}{r.logins:>7}{f.get('throttle', 0):>6}"
            f"{f.get('unavailable', 0):>6}{f.get('slow', 0):>6}{f.get('reset', 0):>6}{f.get('lost_response', 0):>6}"
            f"{r.seconds:>7.1f}  {'yes' if not r.problems else 'NO'}"
        )
    bad = [r.service for r in results if r.problems]
    verdict = "FAILED for " + ", ".join(bad) if bad else "every target gone, nothing else touched, reports exact"
    print(f"\nchaos: {verdict}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
