"""API calls to delete N jobs, for N = 1, 100, 10,000: exactly ceil(N / batch limit) delete calls, exactly the
authentication and discovery calls of the auth mode, and a look before the delete (the read-only status walk
that tells which jobs exist, so that a job that never existed is reported ``already_gone``) of at most one call
per page of the jobs the service lists (plus a small constant). The bounds come from ``common.CASES``.

Counted twice, independently: by the hook (``report.api_calls``: every HTTP request, retries included) and by
the emulator (requests per route). A fresh hook and an empty token cache for every run, so authentication is
always paid and counted. The service lists exactly the N seeded jobs.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.common import (
    CASES,
    SERVICE_ORDER,
    Calls,
    Row,
    Table,
    calls_between,
    delete_calls,
    emulator,
    make_hook,
    quiet_logging,
    seed,
    setup_calls,
    status_bound,
)

#: (service, profile) pairs measured at the middle size only: the other auth mode of a family
EXTRA_PROFILES: tuple[tuple[str, str], ...] = (("mrs", "mrs-password"), ("dli", "dli-password"))


@dataclass(frozen=True)
class Count:
    service: str
    profile: str
    n: int
    calls: Calls
    hook_calls: int
    expected_deletes: int
    expected_setup: int
    status_at_most: int

    @property
    def naive(self) -> int:
        """Calls of the one-request-per-job loop (it needs the same authentication and discovery)."""
        return self.n + self.expected_setup

    @property
    def met(self) -> bool:
        c = self.calls
        return (
            c.delete == self.expected_deletes
            and c.setup == self.expected_setup
            and c.status <= self.status_at_most
            and c.other == 0
            and self.hook_calls == c.total
        )


def count(url: str, admin: Any, service: str, n: int, profile: str | None = None) -> Count:
    case = CASES[service]
    profile = profile or case.profile
    admin.reset()
    ids = seed(admin, case, n)
    hook = make_hook(case, url, profile=profile)
    before = admin.stats()
    report = hook.delete_jobs(hook.normalize_job_ids(ids), **case.params)
    after = admin.stats()
    if len(report.deleted) != n:
        raise RuntimeError(f"{service}: deleted {len(report.deleted)} of {n}")
    return Count(
        service,
        profile,
        n,
        calls_between(case, before, after),
        report.api_calls,
        delete_calls(case, n),
        setup_calls(case, profile),
        status_bound(case, listed=n, asked=n),
    )


def measure(
    url: str, admin: Any, services: Sequence[str] = SERVICE_ORDER, sizes: Sequence[int] = (1, 100, 10_000)
) -> list[Count]:
    counts = [count(url, admin, service, n) for service in services for n in sizes]
    middle = sorted(sizes)[len(sizes) // 2]
    counts.extend(count(url, admin, s, middle, p) for s, p in EXTRA_PROFILES if s in services)
    admin.reset()
    return counts


def table(counts: Sequence[Count]) -> Table:
    result = Table(
        "API calls to delete N jobs (emulator request counts)",
        header=(
            "profile, N",
            "calls made",
            "expected: delete = ceil(N/batch); auth exact; status at most",
            "naive loop",
            "target",
            "met?",
        ),
    )
    for c in counts:
        case = CASES[c.service]
        result.add(
            Row(
                f"{c.profile}, N={c.n:,}",
                f"{c.calls.describe()} = {c.calls.total:,} (hook counted {c.hook_calls:,})",
                f"ceil({c.n:,}/{case.batch_limit}) = {c.expected_deletes:,}; {c.expected_setup}; "
                f"<= {c.status_at_most:,}",
                "all three",
                c.met,
                extra=(f"{c.naive:,}",),
            )
        )
    result.notes.append(
        "status = the look before the delete: which of the jobs exist (list pages of 100, stopped once every job "
        "is seen; E-HPC asks by id, 100 a call, or not at all); expected at most one call per page plus 2"
    )
    result.notes.append(
        "auth/discovery: Huawei AK/SK and Alibaba ACS3 sign every request (0 calls); Huawei password auth fetches "
        "one IAM token; SCNet logs in, then reads /ac/openapi/v2/center (HPC URL) and /hpc/openapi/v2/cluster "
        "(job manager) unless the connection's extras name them. RES has no batch call: one delete per job"
    )
    return result


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    quiet_logging()
    with emulator() as (url, admin):
        counts = measure(url, admin, sizes=(1, 100, 1_000) if args.quick else (1, 100, 10_000))
    print(table(counts).render())


if __name__ == "__main__":
    main()
