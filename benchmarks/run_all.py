"""Run every benchmark in one go (``make bench``), print one table per figure (measured | comparison | target |
met?), save the throughput plot, and write the same tables to a Markdown file.

Every figure is measured in this run, on this machine, against one emulator process; nothing is copied from an
earlier run. ``--quick`` uses small sizes (a smoke run of about a minute, not a measurement).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks import api_calls, breakdown, client_cpu, import_cost, memory, throughput, trigger_load
from benchmarks.common import ROOT, Row, Table, emulator, load, machine, quiet_logging
from benchmarks.plot import plot

HERE = Path(__file__).resolve().parent


def summary(results: dict[str, list[Table]]) -> Table:
    table = Table("Summary: every target", header=("target", "tables", "rows met", "target", "met?"))
    for name, tables in results.items():
        rows = [r for t in tables for r in t.rows if r.met is not None]
        met = sum(1 for r in rows if r.met)
        table.add(Row(name, f"{len(tables)}", f"{met} of {len(rows)}", "all rows", met == len(rows)))
    return table


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run, not a measurement")
    parser.add_argument("--plot", type=Path, default=HERE / "throughput.png")
    parser.add_argument("--output", type=Path, default=HERE / "last_run.md", help="Markdown copy of the tables")
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

    with emulator() as (url, admin):
        step(
            "1. API calls",
            lambda: [api_calls.table(api_calls.measure(url, admin, sizes=(1, 100, 1_000 if quick else 10_000)))],
        )
        # the triggers run before the SDK comparisons load the vendor SDKs into this process: a triggerer
        # process holds Airflow and the provider, not them (a bigger heap means longer garbage collections)
        step(
            "5. Confirm-gone load",
            lambda: trigger_load.tables(
                trigger_load.measure(url, admin, per_service=10, jobs=60, watch=20, poll=0.5)
                if quick
                else trigger_load.measure(url, admin)
            ),
        )
        points: list[Any] = []

        def run_throughput() -> list[Table]:
            sizes = (100, 500) if quick else (100, 1_000, 10_000)
            points.extend(throughput.measure(url, admin, sizes=sizes, repeats=1 if quick else 3))
            latency = throughput.latency_case(url, admin, 80 if quick else 400)
            return throughput.tables(points, latency)

        step("2. Throughput", run_throughput)
        step(
            "3. Client CPU",
            lambda: [
                client_cpu.table(
                    client_cpu.measure(url, admin, n=1_000 if quick else 10_000, repeats=1 if quick else 5)
                ),
                breakdown.table(
                    breakdown.measure(url, admin, n=1_000 if quick else 10_000, repeats=1 if quick else 5)
                ),
            ],
        )
        step("6. Memory", lambda: [memory.table(memory.measure(url, 5_000 if quick else 100_000))])
    step("4. DAG-parse import cost", lambda: [import_cost.table(import_cost.measure(repeats=3 if quick else 7))])

    overview = summary(dict(sorted(results.items())))
    print(overview.render(), flush=True)
    saved = plot(points, args.plot)
    elapsed = time.perf_counter() - started
    print(f"\nplot: {saved.relative_to(ROOT) if saved.is_relative_to(ROOT) else saved}; total {elapsed:.0f} s")
    ordered = [t for _, tables in sorted(results.items()) for t in tables]
    args.output.write_text(
        "\n\n".join([f"# Benchmark run\n\n{header}; total {elapsed:.0f} s", *(t.render() for t in ordered)])
        + "\n\n"
        + overview.render()
        + "\n"
    )


if __name__ == "__main__":
    main()
