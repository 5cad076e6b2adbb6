"""Target 4: DAG-parse cost. What importing the operator and sensor modules adds over
``from airflow.sdk import BaseOperator`` (which every DAG file pays anyway), next to the http provider's
operator and the cloud SDKs.

Each figure comes from fresh interpreters (``-X importtime`` off, bytecode caches warm after a first
untimed run): the child imports ``airflow.sdk.BaseOperator``, then the measured modules, and reports the
wall time and the resident-set growth of the second step, and its peak RSS (``VmHWM``: ``ru_maxrss`` would
carry over the parent's size across fork and exec). Median of ``repeats`` children.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.common import ROOT, Row, Table, load, median

TIME_TARGET = 0.030
RSS_TARGET_MB = 3.0

#: label -> modules imported after ``from airflow.sdk import BaseOperator``
SUBJECTS: dict[str, tuple[str, ...]] = {
    "jobcleanup operator + sensor": (
        "airflow_provider_jobcleanup.operators.batch_delete",
        "airflow_provider_jobcleanup.sensors.jobs_gone",
    ),
    "http provider HttpOperator": ("airflow.providers.http.operators.http",),
    "huaweicloudsdkmrs (v2 client)": ("huaweicloudsdkmrs.v2",),
    "huaweicloudsdkdli (v1 client)": ("huaweicloudsdkdli.v1",),
    "alibabacloud-ehpcinstant20230701": ("alibabacloud_ehpcinstant20230701.client",),
}

CHILD = r"""
import importlib, json, sys, time

def status_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0

def rss_kb():
    return status_kb("VmRSS")

t0 = time.perf_counter()
from airflow.sdk import BaseOperator  # noqa: F401
t1 = time.perf_counter()
before_modules = set(sys.modules)
r1 = rss_kb()
for name in sys.argv[1:]:
    importlib.import_module(name)
t2 = time.perf_counter()
r2 = rss_kb()
new = sorted({m.split(".")[0] for m in set(sys.modules) - before_modules})
print(json.dumps({
    "base_s": t1 - t0, "added_s": t2 - t1, "added_rss_kb": r2 - r1,
    "max_rss_kb": status_kb("VmHWM"), "new_packages": new,
}))
"""


@dataclass(frozen=True)
class ImportFigure:
    label: str
    modules: tuple[str, ...]
    base_s: float
    added_s: float
    added_rss_mb: float
    max_rss_mb: float
    new_packages: tuple[str, ...]
    load: str


def child(modules: Sequence[str]) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", CHILD, *modules], capture_output=True, text=True, env=env, check=True, cwd=ROOT
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def available(modules: Sequence[str]) -> bool:
    import importlib.util

    try:
        return all(importlib.util.find_spec(m.split(".")[0]) is not None for m in modules)
    except (ImportError, ValueError):
        return False


def measure(repeats: int = 7, subjects: dict[str, tuple[str, ...]] | None = None) -> list[ImportFigure]:
    figures = []
    for label, modules in (subjects or SUBJECTS).items():
        if not available(modules):
            continue
        child(modules)  # warm the bytecode caches
        runs = []
        for _ in range(repeats):
            runs.append(child(modules))
        figures.append(
            ImportFigure(
                label,
                modules,
                median([float(r["base_s"]) for r in runs]),  # type: ignore[arg-type]
                median([float(r["added_s"]) for r in runs]),  # type: ignore[arg-type]
                median([float(r["added_rss_kb"]) for r in runs]) / 1024,  # type: ignore[arg-type]
                median([float(r["max_rss_kb"]) for r in runs]) / 1024,  # type: ignore[arg-type]
                tuple(runs[-1]["new_packages"]),  # type: ignore[arg-type]
                load(),
            )
        )
    return figures


def table(figures: Sequence[ImportFigure]) -> Table:
    result = Table(
        "DAG-parse import cost, added over `from airflow.sdk import BaseOperator` (fresh interpreters, median)",
        header=("module(s)", "added time", "added RSS", "peak RSS / packages pulled in", "target", "met?"),
    )
    base = figures[0].base_s if figures else 0.0
    for index, f in enumerate(figures):
        ours = index == 0
        met = (f.added_s <= TIME_TARGET and f.added_rss_mb <= RSS_TARGET_MB) if ours else None
        pulled = ", ".join(p for p in f.new_packages if not p.startswith("_")) or "none"
        result.add(
            Row(
                f.label,
                f"{f.added_s * 1000:.1f} ms",
                f"{f.added_rss_mb:.1f} MB",
                f"<= {TIME_TARGET * 1000:.0f} ms and <= {RSS_TARGET_MB:.0f} MB" if ours else "(comparison)",
                met,
                extra=(f"{f.max_rss_mb:.0f} MB; {pulled[:70]}{'...' if len(pulled) > 70 else ''}",),
            )
        )
    result.notes.append(
        f"`from airflow.sdk import BaseOperator` itself takes {base * 1000:.0f} ms in the same children "
        "(what every DAG file pays already)"
    )
    return result


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    print(table(measure(repeats=3 if args.quick else 7)).render())


if __name__ == "__main__":
    main()
