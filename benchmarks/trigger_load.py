"""Confirm-gone load. 500 deferred ``JobsGoneTrigger``s (100 per service) run in one asyncio event loop, as in a
triggerer, while a monitor measures how late the loop wakes up (no blocking over 0.2 s); run at 0 ms and at
30 ms of latency per request.

Each trigger watches a window of ``watch`` of its service's ``jobs`` jobs (windows overlap, as cleanup runs of
one project do). The triggers poll while the jobs exist; once every trigger has polled at least once, the
jobs are deleted (from a separate thread pool) and the triggers must all fire ``success``. Every status call is
counted per poll (the trigger's hook is wrapped; authentication and SCNet discovery are done before the first
poll and not counted as status calls) and cross-checked with the emulator's route counters (less the status
calls of the deleting run's own look). The bound per poll is ``common.status_bound`` (one call per page of
the list, E-HPC per 100 ids, RES one detail call per job once gone); the one-call-per-job pattern would make
``watch`` calls per poll.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from benchmarks.common import (
    CASES,
    SERVICE_ORDER,
    Row,
    Table,
    emulator,
    load,
    make_hook,
    prime,
    profile_connection,
    quiet_logging,
    route_delta,
    seed,
    status_bound,
)

LAG_TARGET = 0.2
SILENT = logging.getLogger("benchmarks.trigger_load.silent")
SILENT.setLevel(logging.ERROR)


@dataclass
class PollLog:
    """Status calls per poll, per service, and whether the poll overlapped the deletes (thread-safe: polls run
    in worker threads). A poll during the deletes sees the list change under its walk, so it cannot trust a
    job's absence from it and asks about each watched job it did not see (one detail call each)."""

    calls: dict[str, list[int]] = field(default_factory=dict)
    during_delete: dict[str, list[bool]] = field(default_factory=dict)
    polled: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    delete_window: list[float] = field(default_factory=list)  # [start] then [start, end]

    def record(self, service: str, trigger: int, calls: int, began: float, ended: float) -> None:
        with self.lock:
            window = self.delete_window
            overlaps = bool(window) and began <= (window[1] if len(window) > 1 else ended) and ended >= window[0]
            self.calls.setdefault(service, []).append(calls)
            self.during_delete.setdefault(service, []).append(overlaps)
            self.polled.add(trigger)

    def mark(self) -> None:
        with self.lock:
            self.delete_window.append(time.perf_counter())


def counting_trigger_class(log: PollLog) -> type:
    """A ``JobsGoneTrigger`` whose hook reports the HTTP calls of every poll to ``log``."""
    from airflow_provider_jobcleanup.triggers.jobs_gone import JobsGoneTrigger

    class CountingTrigger(JobsGoneTrigger):
        index: int = 0

        @property
        def log(self) -> logging.Logger:  # type: ignore[override]  # 500 triggers' progress lines
            return SILENT

        async def _make_hook(self) -> Any:
            hook = await super()._make_hook()
            await asyncio.to_thread(prime, hook)  # login and discovery, once per hook: not status calls
            original = hook.get_job_states

            def counted(job_ids: Sequence[str], **params: Any) -> Any:
                before, began = hook.api_calls, time.perf_counter()
                try:
                    return original(job_ids, **params)
                finally:
                    log.record(self.service, self.index, hook.api_calls - before, began, time.perf_counter())

            hook.get_job_states = counted
            return hook

    return CountingTrigger


class GcPauses:
    """Durations of the interpreter's full (generation 2) garbage collections while installed."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        elif info.get("generation") == 2:
            self.pauses.append(time.perf_counter() - self._started)

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


async def lag_monitor(stop: asyncio.Event, lags: list[float], tick: float = 0.01) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        started = loop.time()
        await asyncio.sleep(tick)
        lags.append(loop.time() - started - tick)


@dataclass(frozen=True)
class TriggerFigures:
    triggers: int
    watch: int
    jobs: int
    wall: float
    max_lag: float
    p99_lag: float
    outcomes: dict[str, int]
    per_service: dict[str, dict[str, float]]
    gc_pauses: tuple[float, ...]
    load: str
    latency_ms: float = 0.0


async def run_triggers(url: str, admin: Any, per_service: int, jobs: int, watch: int, poll: float) -> TriggerFigures:
    log = PollLog()
    trigger_class = counting_trigger_class(log)
    admin.reset()
    ids: dict[str, list[str]] = {}
    triggers: list[Any] = []
    for service in SERVICE_ORDER:
        case = CASES[service]
        ids[service] = seed(admin, case, jobs)
        conn_id = f"bench_trigger_{service}"
        os.environ[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps(profile_connection(case.profile, url))
        params = make_hook(case, url).validate_params(case.params)
        for i in range(per_service):
            start = (i * watch // 2) % jobs
            window = [ids[service][(start + k) % jobs] for k in range(watch)]
            trigger = trigger_class(
                conn_id=conn_id,
                service=service,
                job_ids=window,
                service_params=params,
                poll_interval=poll,
                end_time=time.time() + 600,
            )
            trigger.index = len(triggers)
            triggers.append(trigger)
    before = admin.stats()
    gc.collect()  # start from a clean heap, as a triggerer in its steady state would

    async def first_event(trigger: Any) -> str:
        async for event in trigger.run():
            return str(event.payload.get("status"))
        return "none"

    stop, lags = asyncio.Event(), list[float]()
    gc_watch = GcPauses().__enter__()
    monitor = asyncio.create_task(lag_monitor(stop, lags))
    started = time.perf_counter()
    tasks = [asyncio.create_task(first_event(t)) for t in triggers]
    while len(log.polled) < len(triggers):
        await asyncio.sleep(0.05)
    deleter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bench-delete")
    looked: dict[str, int] = {}  # status calls of the deleting runs' own look, per service

    def delete_everything() -> None:
        for service in SERVICE_ORDER:
            case = CASES[service]
            hook = make_hook(case, url, fresh_tokens=False)
            prime(hook)
            original = hook.get_job_states

            def counted(job_ids: Sequence[str], hook: Any = hook, original: Any = original, **params: Any) -> Any:
                before = hook.api_calls
                try:
                    return original(job_ids, **params)
                finally:
                    looked[hook.service] = looked.get(hook.service, 0) + hook.api_calls - before

            hook.get_job_states = counted
            report = hook.delete_jobs(hook.normalize_job_ids(ids[service]), **case.params)
            if len(report.deleted) != jobs:
                raise RuntimeError(f"{service}: deleted {len(report.deleted)} of {jobs}")

    log.mark()
    await asyncio.get_running_loop().run_in_executor(deleter, delete_everything)
    log.mark()
    deleter.shutdown()
    outcomes = await asyncio.gather(*tasks)
    wall = time.perf_counter() - started
    stop.set()
    await monitor
    gc_watch.__exit__()
    after = admin.stats()
    figures: dict[str, dict[str, float]] = {}
    for service in SERVICE_ORDER:
        case = CASES[service]
        calls = log.calls.get(service, [])
        during = log.during_delete.get(service, [])
        bound = max(status_bound(case, jobs, watch), status_bound(case, jobs, watch, gone=True))
        figures[service] = {
            "polls": len(calls),
            "calls": sum(calls),
            "emulator_status_calls": route_delta(before, after, case.status_routes) - looked.get(service, 0),
            "max_per_poll": max((c for c, d in zip(calls, during, strict=True) if not d), default=0),
            "max_during_delete": max((c for c, d in zip(calls, during, strict=True) if d), default=0),
            "polls_during_delete": sum(during),
            "mean_per_poll": sum(calls) / len(calls) if calls else 0.0,
            "bound": bound,
            "bound_during_delete": bound + watch,
        }
    counted: dict[str, int] = {}
    for outcome in outcomes:
        counted[outcome] = counted.get(outcome, 0) + 1
    ordered = sorted(lags)
    return TriggerFigures(
        len(triggers),
        watch,
        jobs,
        wall,
        ordered[-1] if ordered else 0.0,
        ordered[int(len(ordered) * 0.99)] if ordered else 0.0,
        counted,
        figures,
        tuple(gc_watch.pauses),
        load(),
        float(getattr(admin, "latency_ms", 0.0)),
    )


def measure(url: str, admin: Any, per_service: int = 100, jobs: int = 200, watch: int = 50, poll: float = 2.0) -> Any:
    from airflow_provider_jobcleanup.auth.token_cache import clear_shared_providers

    clear_shared_providers()
    figures = asyncio.run(run_triggers(url, admin, per_service, jobs, watch, poll))
    admin.reset()
    return figures


def tables(runs: Sequence[TriggerFigures]) -> list[Table]:
    """One table of status calls per poll and one of event-loop stalls, a row per service (or run) and latency."""
    f = runs[0]
    calls = Table(
        f"Confirm-gone load: status calls per poll ({f.triggers} triggers, each watching {f.watch} of "
        f"{f.jobs} jobs per service)",
        header=(
            "service, latency",
            "status calls per poll (mean / max; max while the deletes run)",
            "one call per job",
            "target",
            "met?",
        ),
    )
    lag = Table(
        f"Confirm-gone load: event-loop blocking with {f.triggers} deferred triggers in one loop",
        header=("latency", "longest event-loop stall", "context", "target", "met?"),
    )
    for run in runs:
        for service, s in run.per_service.items():
            consistent = s["calls"] == s["emulator_status_calls"]
            within = s["max_per_poll"] <= s["bound"] and s["max_during_delete"] <= s["bound_during_delete"]
            calls.add(
                Row(
                    f"{service}, {run.latency_ms:.0f} ms",
                    f"{s['mean_per_poll']:.2f} / {s['max_per_poll']:.0f} over {s['polls']:.0f} polls; "
                    f"{s['max_during_delete']:.0f} during the deletes ({s['polls_during_delete']:.0f} polls); "
                    f"{s['calls']:.0f} calls, emulator saw {s['emulator_status_calls']:.0f}",
                    f"{run.watch} per poll",
                    f"<= {s['bound']:.0f}; {s['bound_during_delete']:.0f} during",
                    within and consistent,
                )
            )
        ok = run.outcomes.get("success", 0) == run.triggers
        lag.add(
            Row(
                f"{run.latency_ms:.0f} ms",
                f"{run.max_lag * 1000:.1f} ms (p99 {run.p99_lag * 1000:.1f} ms)",
                f"{run.triggers} triggers, all done in {run.wall:.1f} s; outcomes {run.outcomes}; longest full GC "
                f"pause {max(run.gc_pauses, default=0.0) * 1000:.0f} ms ({len(run.gc_pauses)} full GCs); "
                f"load {run.load}",
                f"<= {LAG_TARGET * 1000:.0f} ms, all succeed",
                run.max_lag <= LAG_TARGET and ok,
            )
        )
    calls.notes.append(
        "bound: one call per page of 100 of the jobs listed, plus 2 (E-HPC: per 100 ids; RES: one detail call per "
        "watched job once they are gone, since absence from the list of one type proves nothing). A poll that "
        "overlaps the deletes sees the list change under its walk and may confirm each watched job it did not "
        "see with a detail call: its bound adds one call per watched job"
    )
    lag.notes.append(
        "a 10 ms sleep loop in the same event loop measures how late it wakes up; the hooks' HTTP runs in "
        "asyncio.to_thread (the loop's default executor), as the triggerer runs it"
    )
    return [calls, lag]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    quiet_logging()
    with emulator() as (url, admin):
        if args.quick:
            figures = measure(url, admin, per_service=10, jobs=60, watch=20, poll=0.5)
        else:
            figures = measure(url, admin)
    for table in tables([figures]):
        print(table.render(), end="\n\n")


if __name__ == "__main__":
    main()
