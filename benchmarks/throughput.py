"""Wall time to delete N jobs (10,000) per service, at 0 ms and at 30 ms of latency per request (the emulator
answers every service request that late, like a network round trip), against:

* the limit: the run's API calls x latency / concurrency (deletes run ``concurrency`` at a time, RES 8; the
  look before the delete, authentication and discovery are sequential). Target at 30 ms: within 1.15x;
* the one-request-per-job loop a user writes by hand, with ``requests`` and with the official SDK where one
  exists (``clients.py``). Target at 30 ms: at least 20x faster (7x for RES, which has no batch call: one
  delete per job, 8 in flight), against the faster of the two loops.

The loop at 30 ms would take N x 30 ms (300 s per service for 10,000 jobs), so it is measured on a sample
(``loop_sample`` jobs, 300 by default) and scaled linearly to N: its setup (building the client; SCNet's login
and discovery) once, plus the loop's seconds x N / sample. The tables say so on every scaled figure.
``loop_sample=0`` runs the loop on all N jobs.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks import clients
from benchmarks.common import (
    CASES,
    SERVICE_ORDER,
    Calls,
    Row,
    Table,
    calls_between,
    emulator,
    limit_seconds,
    load,
    make_hook,
    median,
    quiet_logging,
    rate,
    seed,
    timed,
    with_latency,
)

LATENCIES_MS: tuple[float, ...] = (0.0, 30.0)
TARGET_LATENCY_MS = 30.0
LIMIT_TARGET = 1.15
RUNNERS = ("jobcleanup", "loop (requests)", "loop (official SDK)")


@dataclass(frozen=True)
class Point:
    """One runner deleting ``n`` jobs of one service at one latency.

    ``measured_n`` < ``n`` means the runner ran on ``measured_n`` jobs and ``seconds``/``calls`` are scaled.
    """

    service: str
    runner: str
    latency_ms: float
    n: int
    seconds: float
    calls: Calls
    measured_n: int
    load: str

    @property
    def scaled(self) -> bool:
        return self.measured_n < self.n

    @property
    def jobs_per_second(self) -> float:
        return self.n / self.seconds if self.seconds > 0 else float("inf")

    def describe(self) -> str:
        text = f"{self.seconds:,.2f} s ({self.calls.total:,} calls)"
        return text + (f" [measured on {self.measured_n:,}, scaled]" if self.scaled else "")


def ours(url: str, admin: Any, service: str, n: int) -> tuple[float, Calls]:
    """One jobcleanup run: build the hook as the operator does, validate the ids, look, delete."""
    case = CASES[service]
    admin.reset()
    ids = seed(admin, case, n)
    before = admin.stats()
    began = load()
    seconds, _, report = timed(lambda: make_hook(case, url).delete_jobs(ids, **case.params))
    if len(report.deleted) != n or report.failed:
        raise RuntimeError(f"{service}: deleted {len(report.deleted)} of {n}, failed {len(report.failed)} ({began})")
    return seconds, calls_between(case, before, admin.stats())


def loop(
    url: str, admin: Any, service: str, n: int, sample: int, run: Callable[..., tuple[float, float]]
) -> tuple[float, Calls, int]:
    """A hand-written loop on ``min(n, sample)`` jobs, scaled to ``n``: ``(seconds, calls, jobs measured)``."""
    case = CASES[service]
    measured = min(n, sample) if sample > 0 else n
    admin.reset()
    ids = seed(admin, case, measured)
    before = admin.stats()
    setup, looped = run(case, url, ids)
    calls = calls_between(case, before, admin.stats())
    if calls.delete != measured:
        raise RuntimeError(f"{service}: the loop sent {calls.delete} deletes for {measured} jobs")
    factor = n / measured
    scaled = Calls(n, round(calls.status * factor), calls.setup, round(calls.other * factor))
    return setup + looped * factor, scaled, measured


def measure(
    url: str,
    admin: Any,
    services: Sequence[str] = SERVICE_ORDER,
    n: int = 10_000,
    latencies_ms: Sequence[float] = LATENCIES_MS,
    loop_sample: int = 300,
    repeats: int = 1,
    progress: Callable[[str], None] = lambda _: None,
) -> list[Point]:
    points: list[Point] = []
    for service in services:  # warm-up: imports, first connections, lazily built signers and SDK clients
        ours(url, admin, service, 100)
        clients.naive_delete(CASES[service], url, seed(admin, CASES[service], 5))
        if service in clients.SDK_SERVICES:
            clients.sdk_delete(CASES[service], url, seed(admin, CASES[service], 5))
    for latency_ms in latencies_ms:
        lagged = with_latency(admin, latency_ms)
        for service in services:
            runs = [ours(url, lagged, service, n) for _ in range(repeats)]
            seconds = median([r[0] for r in runs])
            points.append(Point(service, "jobcleanup", latency_ms, n, seconds, runs[0][1], n, load()))
            loops: list[tuple[str, Callable[..., tuple[float, float]]]] = [("loop (requests)", clients.naive_delete)]
            if service in clients.SDK_SERVICES:
                loops.append(("loop (official SDK)", clients.sdk_delete))
            for runner, run in loops:
                seconds, calls, measured = loop(url, lagged, service, n, loop_sample, run)
                points.append(Point(service, runner, latency_ms, n, seconds, calls, measured, load()))
            progress(f"throughput {service} at {latency_ms:.0f} ms: done (load {load()})")
        lagged.reset()
    with_latency(admin, 0).reset()
    return points


def find(points: Sequence[Point], service: str, runner: str, latency_ms: float) -> Point | None:
    for point in points:
        if (point.service, point.runner, point.latency_ms) == (service, runner, latency_ms):
            return point
    return None


def fastest_loop(points: Sequence[Point], service: str, latency_ms: float) -> Point | None:
    loops = [find(points, service, r, latency_ms) for r in RUNNERS[1:]]
    found = [p for p in loops if p is not None]
    return min(found, key=lambda p: p.seconds) if found else None


def tables(points: Sequence[Point]) -> list[Table]:
    n = max(p.n for p in points)
    latencies = sorted({p.latency_ms for p in points})
    high = max(latencies)
    at = [f"{ms:.0f} ms" for ms in latencies]
    limit = Table(
        f"Wall time to delete {n:,} jobs per service against the limit (API calls x latency / concurrency; "
        f"target at {high:.0f} ms: <= {LIMIT_TARGET}x)",
        header=(
            "service",
            f"API calls at {high:.0f} ms",
            *(f"jobcleanup at {a}" for a in at),
            f"limit at {high:.0f} ms",
            "target",
            "met?",
        ),
    )
    loops = Table(
        f"Wall time to delete {n:,} jobs per service against the one-request-per-job loop (target at "
        f"{high:.0f} ms: >= 20x, RES >= 7x, against the faster loop)",
        header=("service, latency", "jobcleanup", "loop with requests", "loop with the official SDK", "target", "met?"),
    )
    for service in dict.fromkeys(p.service for p in points):
        case = CASES[service]
        mine = {ms: find(points, service, "jobcleanup", ms) for ms in latencies}
        top = mine[high]
        if top is None:
            continue
        bound = limit_seconds(case, top.calls, high / 1000)
        ratio = top.seconds / bound if bound > 0 else float("inf")
        walls = [f"{p.seconds:,.2f} s = {rate(n, p.seconds)}" if p is not None else "-" for p in mine.values()]
        limit.add(
            Row(
                service,
                top.calls.describe(),
                walls[0],
                f"<= {LIMIT_TARGET}x",
                ratio <= LIMIT_TARGET if high > 0 else None,
                case.notes,
                extra=(*walls[1:], f"{bound:,.2f} s; ours {ratio:.2f}x"),
            )
        )
        for ms in latencies:
            ours_point = mine[ms]
            if ours_point is None:
                continue
            cells = []
            for runner in RUNNERS[1:]:
                other = find(points, service, runner, ms)
                cells.append(
                    f"{other.describe()}; {other.seconds / ours_point.seconds:,.1f}x slower"
                    if other is not None
                    else "no official Python SDK"
                )
            faster = fastest_loop(points, service, ms)
            speedup = faster.seconds / ours_point.seconds if faster is not None else 0.0
            targeted = ms == TARGET_LATENCY_MS
            loops.add(
                Row(
                    f"{service}, {ms:.0f} ms",
                    ours_point.describe(),
                    cells[0],
                    f">= {case.loop_speedup:.0f}x" if targeted else "(context)",
                    speedup >= case.loop_speedup if targeted else None,
                    extra=(cells[1],),
                )
            )
    limit.notes.append(
        "API calls: as the emulator counted them in the highest-latency run (the same at every latency); "
        "status = the look before the delete (which jobs exist). The limit counts every call as one latency, "
        "deletes divided by the calls in flight. What exceeds it is the work the same run does at 0 ms (client "
        "and emulator CPU, on the same shared cores: compare the 0 ms column)"
    )
    loops.notes.append(
        "loop = a kept-alive requests.Session sending one delete per job, signed with the provider's signer (the "
        "faster way to hand-write it), or the official SDK client making one delete call per job; a loop does "
        "not look before deleting. "
        "'measured on S, scaled': the loop ran on S jobs; its setup once plus its loop time x N / S"
    )
    return [limit, loops]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--loop-sample", type=int, default=300, help="jobs the loops run on (0: all N)")
    args = parser.parse_args(argv)
    quiet_logging()
    with emulator() as (url, admin):
        points = measure(
            url,
            admin,
            n=1_000 if args.quick else 10_000,
            loop_sample=50 if args.quick else args.loop_sample,
            progress=print,
        )
    for table in tables(points):
        print(table.render(), end="\n\n")


if __name__ == "__main__":
    main()
