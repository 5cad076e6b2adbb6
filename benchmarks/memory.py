"""Target 6: memory. Deleting 100,000 jobs and producing the operator's report (validation, the hook's
``DeletionReport``, ``to_dict()`` and the JSON that XCom stores) stays under 200 MB at peak.

Runs in a fresh child process (so nothing measured before pollutes the figure) against the emulator, with MRS
(100 UUIDs a call, 1,000 calls). Reports the peak of Python allocations during the run (``tracemalloc``) and
the process's peak resident set (``VmHWM``), which includes the interpreter and Airflow, next to the size of
the report's JSON itself.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.common import ROOT, Row, Table, emulator, load

TARGET_MB = 200.0

CHILD = r"""
import json, sys, tracemalloc
from benchmarks.common import CASES, make_hook, quiet_logging, seed
from tests.emulator_client import EmulatorAdmin

def peak_rss_kb():  # VmHWM: ru_maxrss would include the parent's size (kept across fork and exec)
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))

quiet_logging()
url, n = sys.argv[1], int(sys.argv[2])
case = CASES["mrs"]
admin = EmulatorAdmin(url)
admin.reset()
ids = seed(admin, case, n)
warm = make_hook(case, url)
warm.delete_jobs(warm.normalize_job_ids(seed(admin, case, 100)), **case.params)  # imports, first connection
rss_before = peak_rss_kb()
tracemalloc.start()
hook = make_hook(case, url)
report = hook.delete_jobs(hook.normalize_job_ids(ids, max_count=n), **case.params)
result = report.to_dict()
payload = json.dumps(result)
_, peak = tracemalloc.get_traced_memory()
tracemalloc.stop()
print(json.dumps({
    "deleted": len(report.deleted), "calls": report.api_calls, "traced_peak": peak,
    "max_rss_kb": peak_rss_kb(), "rss_before_kb": rss_before,
    "ids_bytes": sum(len(i) for i in ids), "json_bytes": len(payload),
}))
"""


@dataclass(frozen=True)
class MemoryFigure:
    n: int
    deleted: int
    calls: int
    traced_peak_mb: float
    max_rss_mb: float
    rss_growth_mb: float
    json_mb: float
    load: str


def measure(url: str, n: int = 100_000) -> MemoryFigure:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, url, str(n)], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    data = json.loads(out.strip().splitlines()[-1])
    return MemoryFigure(
        n,
        int(data["deleted"]),
        int(data["calls"]),
        data["traced_peak"] / 2**20,
        data["max_rss_kb"] / 1024,
        (data["max_rss_kb"] - data["rss_before_kb"]) / 1024,
        data["json_bytes"] / 2**20,
        load(),
    )


def table(f: MemoryFigure) -> Table:
    result = Table(
        f"Memory: deleting {f.n:,} MRS jobs and building the report (fresh process)",
        header=("figure", "measured", "comparison", "target", "met?"),
    )
    result.add(
        Row(
            "peak Python allocations (tracemalloc)",
            f"{f.traced_peak_mb:.1f} MB",
            f"the report's JSON alone: {f.json_mb:.1f} MB ({f.deleted:,} deleted, {f.calls:,} calls)",
            f"< {TARGET_MB:.0f} MB",
            f.traced_peak_mb < TARGET_MB and f.deleted == f.n,
        )
    )
    result.add(
        Row(
            "peak RSS of the whole process",
            f"{f.max_rss_mb:.0f} MB (the run added {f.rss_growth_mb:.0f} MB)",
            "interpreter + Airflow + requests, before the run, are included",
            f"< {TARGET_MB:.0f} MB",
            f.max_rss_mb < TARGET_MB,
        )
    )
    return result


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    with emulator() as (url, _):
        figure = measure(url, 5_000 if args.quick else 100_000)
    print(table(figure).render())


if __name__ == "__main__":
    main()
