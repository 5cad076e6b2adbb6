"""Status calls per poll: a confirm-gone sensor or trigger watching 1,000 jobs in a service that lists 50,000.

One poll is one ``hook.get_job_states(watched)`` call (what ``JobsGoneTrigger`` runs each poll interval). The
watched jobs are the 1,000 newest (the listing is newest first, so they are on its first pages). Two polls per
service: while the jobs exist, and once they are deleted (the poll that lets the sensor succeed: to prove a
job is gone, a list-only service must read the whole list, 49,000 jobs, to the end). Counted by the emulator
per route and by the hook. The bound per poll comes from ``common.status_bound`` (one call per page of the
list; E-HPC asks by id; RES confirms each job missing from its list with one detail call), the comparison is
the one-call-per-job pattern. Call counts do not depend on latency, so this runs at 0 ms.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.common import (
    CASES,
    SERVICE_ORDER,
    Row,
    Table,
    calls_between,
    emulator,
    load,
    make_hook,
    prime,
    quiet_logging,
    seed,
    status_bound,
)


@dataclass(frozen=True)
class Poll:
    service: str
    phase: str  # "present" or "gone"
    watched: int
    listed: int
    status_calls: int
    hook_calls: int
    gone: int
    seconds: float
    bound: int
    load: str

    @property
    def met(self) -> bool:
        right = self.gone == (self.watched if self.phase == "gone" else 0)
        return right and self.status_calls <= self.bound and self.hook_calls == self.status_calls


def poll(hook: Any, admin: Any, service: str, ids: list[str], params: dict[str, Any], phase: str, listed: int) -> Poll:
    case = CASES[service]
    before, calls0 = admin.stats(), hook.api_calls
    started = time.perf_counter()
    states = hook.get_job_states(ids, **params)
    seconds = time.perf_counter() - started
    calls = calls_between(case, before, admin.stats())
    return Poll(
        service,
        phase,
        len(ids),
        listed,
        calls.status,
        hook.api_calls - calls0,
        sum(1 for s in states.values() if s.gone),
        seconds,
        status_bound(case, listed=listed, asked=len(ids), gone=phase == "gone"),
        load(),
    )


def measure(
    url: str, admin: Any, services: Sequence[str] = SERVICE_ORDER, watched: int = 1_000, listed: int = 50_000
) -> list[Poll]:
    polls: list[Poll] = []
    for service in services:
        case = CASES[service]
        admin.reset()
        seed(admin, case, listed - watched)
        ids = seed(admin, case, watched)  # the newest
        hook = make_hook(case, url)
        params = hook.validate_params(case.params)
        prime(hook)
        polls.append(poll(hook, admin, service, ids, params, "present", listed))
        report = hook.delete_jobs(ids, **params)
        if len(report.deleted) != watched:
            raise RuntimeError(f"{service}: deleted {len(report.deleted)} of {watched}")
        polls.append(poll(hook, admin, service, ids, params, "gone", listed))
    admin.reset()
    return polls


def table(polls: Sequence[Poll]) -> Table:
    first = polls[0]
    result = Table(
        f"Status calls per poll: {first.watched:,} watched jobs in a service listing {first.listed:,} (0 ms)",
        header=("service, poll", "status calls (wall)", "one call per job", "target", "met?"),
    )
    for p in polls:
        result.add(
            Row(
                f"{p.service}, jobs {p.phase}",
                f"{p.status_calls:,} ({p.seconds:.1f} s; hook counted {p.hook_calls:,}; {p.gone:,} gone)",
                f"{p.watched:,}",
                f"<= {p.bound:,}",
                p.met,
            )
        )
    result.notes.append(
        "one poll = hook.get_job_states(the watched ids), as JobsGoneTrigger runs it; the watched jobs are the "
        "newest. Bound: one call per page of 100 of what the service lists, plus 2 (E-HPC: per 100 ids asked; "
        "RES, once the jobs are gone: one detail call per job, since absence from the list of one type proves "
        "nothing). SCNet and E-HPC keep deleted jobs listed in a final state; MRS, DLI and RES drop them"
    )
    return result


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    quiet_logging()
    with emulator() as (url, admin):
        polls = measure(url, admin, watched=100, listed=2_000) if args.quick else measure(url, admin)
    print(table(polls).render())


if __name__ == "__main__":
    main()
