"""Run every benchmark in one go (``make bench``), print one table per figure (measured | comparison | target |
met?), save the throughput plot, and write the same tables to a Markdown file.

Every figure is measured in this run, on this machine, against one emulator process whose per-request latency
is switched between 0 ms (localhost) and 30 ms (a network round trip); nothing is copied from an earlier run.
``--quick`` uses small sizes (a smoke run of about a minute, not a measurement).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks import api_calls, import_cost, memory, polling, throughput, trigger_load
from benchmarks.common import ROOT, Row, Table, emulator, load, machine, quiet_logging, with_latency
from benchmarks.plot import plot

HERE = Path(__file__).resolve().parent
RESULTS_MARKER = "## Tables (verbatim from the run)"


def summary(results: dict[str, list[Table]]) -> Table:
    table = Table("Summary: every target", header=("figure", "tables", "rows met", "target", "met?"))
    for name, tables in results.items():
        rows = [r for t in tables for r in t.rows if r.met is not None]
        met = sum(1 for r in rows if r.met)
        table.add(Row(name, f"{len(tables)}", f"{met} of {len(rows)}", "all rows", met == len(rows)))
    return table


def write_results(path: Path, text: str) -> None:
    """Replace everything after :data:`RESULTS_MARKER` in ``path`` with ``text`` (the prose above stays)."""
    current = path.read_text() if path.exists() else f"# Benchmark results\n\n{RESULTS_MARKER}\n"
    head = current.split(RESULTS_MARKER, 1)[0]
    path.write_text(f"{head}{RESULTS_MARKER}\n\n{text}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run, not a measurement")
    parser.add_argument("--loop-sample", type=int, default=300, help="jobs the hand-written loops run on (0: all)")
    parser.add_argument("--plot", type=Path, default=HERE / "throughput.png")
    parser.add_argument("--output", type=Path, default=HERE / "last_run.md", help="Markdown copy of the tables")
    parser.add_argument("--results", type=Path, help="also write the tables into this file (benchmarks/RESULTS.md)")
    args = parser.parse_args(argv)
    quick = args.quick
    quiet_logging()
    started = time.perf_counter()
    info = machine()
    header = (
        f"Machine: {info['cpus']} CPUs ({info['cpu']}), Python {info['python']}, Airflow {info['airflow']}, "
        f"{info['os']}; {info['date']}; load average at start {info['load']}" + (" [--quick]" if quick else "")
    )
    print(header, flush=True)
    results: dict[str, list[Table]] = {}

    def step(name: str, run: Callable[[], list[Table]]) -> None:
        began = time.perf_counter()
        print(f"\n==> {name} (load {load()})", flush=True)
        tables = run()
        for table in tables:
            table.notes.append(f"measured in {time.perf_counter() - began:.0f} s, load average after {load()}")
            print(table.render(), end="\n\n", flush=True)
        results[name] = tables

    points: list[Any] = []
    with emulator() as (url, admin):
        step(
            "1. API calls",
            lambda: [api_calls.table(api_calls.measure(url, admin, sizes=(1, 100, 1_000 if quick else 10_000)))],
        )
        # the triggers run before the loops load the vendor SDKs into this process: a triggerer process holds
        # Airflow and the provider, not them (a bigger heap means longer garbage collections)
        step(
            "4. 500 triggers",
            lambda: trigger_load.tables(
                [
                    trigger_load.measure(url, with_latency(admin, ms), per_service=10, jobs=60, watch=20, poll=0.5)
                    if quick
                    else trigger_load.measure(url, with_latency(admin, ms))
                    for ms in throughput.LATENCIES_MS
                ]
            ),
        )
        step(
            "3. Status calls per poll",
            lambda: [
                polling.table(
                    polling.measure(url, with_latency(admin, 0), watched=100, listed=2_000)
                    if quick
                    else polling.measure(url, with_latency(admin, 0))
                )
            ],
        )

        def run_throughput() -> list[Table]:
            points.extend(
                throughput.measure(
                    url,
                    admin,
                    n=1_000 if quick else 10_000,
                    loop_sample=50 if quick else args.loop_sample,
                    progress=lambda line: print(f"    {line}", flush=True),
                )
            )
            return throughput.tables(points)

        step("2. Wall time (0 and 30 ms per request)", run_throughput)
        step("6. 100,000-job report", lambda: [memory.table(memory.measure(url, 5_000 if quick else 100_000))])
    step("5. DAG-parse import cost", lambda: [import_cost.table(import_cost.measure(repeats=1 if quick else 3))])

    overview = summary(dict(sorted(results.items())))
    print(overview.render(), flush=True)
    saved = plot(points, args.plot)
    elapsed = time.perf_counter() - started
    print(f"\nplot: {saved.relative_to(ROOT) if saved.is_relative_to(ROOT) else saved}; total {elapsed:.0f} s")
    ordered = [t for _, tables in sorted(results.items()) for t in tables]
    tables_text = "\n\n".join([f"{header}; total {elapsed:.0f} s", *(t.render() for t in ordered), overview.render()])
    args.output.write_text(f"# Benchmark run\n\n{tables_text}\n")
    if args.results:
        write_results(args.results, tables_text + "\n")


if __name__ == "__main__":
    main()
