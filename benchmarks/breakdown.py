"""Where the client CPU of one batched deletion goes (context for targets 2 and 3).

One ``jobcleanup`` run per service (the same run as in ``throughput.py``: build the hook, validate the ids,
delete them) with two counters wrapped around it, both in CPU time of the calling thread
(``time.thread_time``):

* inside ``ApiTransport.request`` (everything the transport does for a call, retries and signing included),
* inside ``requests.Session.send`` of the hook's session (requests, urllib3 and ``http.client``: what the
  bare-``requests`` floor also pays, once per request).

So ``transport`` = request - send (the provider's own per-call cost: building the request, signing, error
parsing, counting) and ``hook`` = the run's CPU - request (validating and splitting the ids, reading the
answers, the report). The floor is the same requests replayed by a bare ``requests.Session``. Medians of
``repeats`` runs, divided by the calls made.
"""

from __future__ import annotations

import argparse
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks import clients
from benchmarks.common import (
    CASES,
    SERVICE_ORDER,
    Row,
    Table,
    emulator,
    make_hook,
    median,
    quiet_logging,
    reseed,
    seed,
)


@dataclass(frozen=True)
class Breakdown:
    """CPU microseconds per call of one service's run, split by layer."""

    service: str
    n: int
    calls: int
    total: float
    request: float
    send: float
    floor: float
    ids: float

    @property
    def transport(self) -> float:
        return self.request - self.send

    @property
    def hook(self) -> float:
        return self.total - self.request


class _Meter:
    """Sums the calling thread's CPU time spent inside wrapped callables (outermost call only)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._lock = threading.Lock()
        self._depth = threading.local()

    def wrap(self, fn: Any) -> Any:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            depth = getattr(self._depth, "value", 0)
            self._depth.value = depth + 1
            started = time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self._depth.value = depth
                if depth == 0:
                    spent = time.thread_time() - started
                    with self._lock:
                        self.seconds += spent

        return wrapped


def run_once(case: Any, url: str, admin: Any, n: int) -> tuple[float, float, float, float, float, int]:
    """``(total, request, send, floor, ids)`` CPU seconds and the calls of one run."""
    admin.reset()
    ids = seed(admin, case, n)
    request_meter, send_meter, ids_meter = _Meter(), _Meter(), _Meter()
    cpu0 = time.process_time()
    hook: Any = make_hook(case, url)
    transport = hook.transport
    transport.request = request_meter.wrap(transport.request)  # instance attributes: this hook only
    transport.session.send = send_meter.wrap(transport.session.send)
    hook.normalize_job_ids = ids_meter.wrap(hook.normalize_job_ids)  # the operator's call and delete_jobs' own
    recorder = clients.record(hook)
    report = hook.delete_jobs(hook.normalize_job_ids(ids), **case.params)
    total = time.process_time() - cpu0
    if len(report.deleted) != n or report.failed:
        raise RuntimeError(f"{case.service}: deleted {len(report.deleted)} of {n}")
    if case.service == "ehpc":
        admin.reset()  # the emulator refuses a replayed ACS3 nonce
    reseed(admin, case, ids)
    recorded = recorder.requests
    cpu1 = time.process_time()
    failures = clients.replay(recorded, case.concurrency, "requests")
    floor = time.process_time() - cpu1
    if failures:
        raise RuntimeError(f"{case.service}: {failures} replayed requests failed")
    return total, request_meter.seconds, send_meter.seconds, floor, ids_meter.seconds, hook.api_calls


def measure(
    url: str, admin: Any, services: Sequence[str] = SERVICE_ORDER, n: int = 10_000, repeats: int = 5
) -> list[Breakdown]:
    figures = []
    for service in services:
        case = CASES[service]
        size = min(n, 2_000) if case.batch_limit == 1 else n
        run_once(case, url, admin, 200)  # warm-up
        runs = [run_once(case, url, admin, size) for _ in range(repeats)]
        calls = runs[0][5]
        per_call = [median([r[i] for r in runs]) / calls * 1e6 for i in range(5)]
        figures.append(Breakdown(service, size, calls, *per_call))
    admin.reset()
    return figures


def table(figures: Sequence[Breakdown]) -> Table:
    result = Table(
        "Where the client CPU goes, per API call (context for targets 2 and 3)",
        header=(
            "service, N (calls)",
            "jobcleanup, all",
            "requests/urllib3 (Session.send)",
            "transport + signing",
            "hook (ids, answers, report)",
            "floor: bare requests replay",
            "target",
            "met?",
        ),
    )
    for f in figures:
        result.add(
            Row(
                f"{f.service}, N={f.n:,} ({f.calls})",
                f"{f.total:.0f} us",
                f"{f.send:.0f} us ({f.send / f.total:.0%})",
                "(context)",
                None,
                extra=(
                    f"{f.transport:.0f} us ({f.transport / f.total:.0%})",
                    f"{f.hook:.0f} us ({f.hook / f.total:.0%}); id validation {f.ids:.0f} us",
                    f"{f.floor:.0f} us",
                ),
            )
        )
    result.notes.append(
        "CPU of the calling thread (time.thread_time) inside ApiTransport.request and inside the hook's "
        "Session.send, summed over the run and divided by its calls; hook = the run's process CPU minus the "
        "time inside ApiTransport.request; id validation = inside hook.normalize_job_ids (called by the operator, and "
        "again by delete_jobs). The floor replays the same requests through Session.send, so "
        "'requests/urllib3' and the floor should be close: the rest is the provider's own work"
    )
    return result


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    quiet_logging()
    with emulator() as (url, admin):
        figures = measure(url, admin, n=1_000 if args.quick else 10_000, repeats=1 if args.quick else 5)
    print(table(figures).render())


if __name__ == "__main__":
    main()
