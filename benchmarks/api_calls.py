"""Target 1: API calls. Deleting N jobs must cost exactly ceil(N / batch limit) delete calls, plus
authentication (and, for SCNet, discovery), for N = 1, 100, 10,000.

Counted twice, independently: by the hook (``report.api_calls``: every HTTP request, retries included) and by
the emulator (requests per route). A fresh hook and an empty token cache for every run, so authentication is
always paid and counted.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks.common import (
    CASES,
    SERVICE_ORDER,
    Row,
    Table,
    emulator,
    make_hook,
    quiet_logging,
    route_delta,
    seed,
)

#: authentication and discovery calls each auth mode needs before the first delete
SETUP_CALLS: dict[str, int] = {
    "aksk": 0,  # Huawei AK/SK: every request is signed, no token
    "password": 1,  # Huawei IAM password: one token request
    "ehpc": 0,  # Alibaba ACS3: every request is signed
    "scnet": 3,  # SCNet: login (token), /ac/openapi/v2/center (HPC URL), /hpc/openapi/v2/cluster (job manager)
}

#: (service, profile) pairs measured at the middle size only: the other auth mode of a family
EXTRA_PROFILES: tuple[tuple[str, str], ...] = (("mrs", "mrs-password"), ("dli", "dli-password"))


@dataclass(frozen=True)
class Count:
    service: str
    profile: str
    n: int
    delete_calls: int
    setup_calls: int
    other_calls: int
    hook_calls: int
    minimum_deletes: int
    minimum_setup: int

    @property
    def minimum(self) -> int:
        return self.minimum_deletes + self.minimum_setup

    @property
    def total(self) -> int:
        return self.delete_calls + self.setup_calls + self.other_calls

    @property
    def met(self) -> bool:
        return self.total == self.minimum and self.hook_calls == self.total


def setup_minimum(service: str, profile: str) -> int:
    if service == "scnet":
        return SETUP_CALLS["scnet"]
    if service == "ehpc":
        return SETUP_CALLS["ehpc"]
    return SETUP_CALLS["password" if profile.endswith("password") else "aksk"]


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
    deletes = route_delta(before, after, case.delete_routes)
    setup = route_delta(before, after, case.setup_routes)
    total = after.get("total", 0) - before.get("total", 0)
    return Count(
        service,
        profile,
        n,
        deletes,
        setup,
        total - deletes - setup,
        report.api_calls,
        math.ceil(n / case.batch_limit),
        setup_minimum(service, profile),
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
        "API calls to delete N jobs (emulator request counts; target: exactly the minimum)",
        header=("profile, N", "calls made", "minimum (batch limit + auth)", "naive loop", "target", "met?"),
    )
    for c in counts:
        limit = CASES[c.service].batch_limit
        setup = f" + {c.setup_calls} auth/discovery" if c.setup_calls else ""
        other = f" + {c.other_calls} other" if c.other_calls else ""
        result.add(
            Row(
                f"{c.profile}, N={c.n:,}",
                f"{c.delete_calls:,} delete{setup}{other} = {c.total:,} (hook counted {c.hook_calls:,})",
                f"ceil({c.n:,}/{limit}) + {c.minimum_setup} = {c.minimum:,}",
                "= minimum",
                c.met,
                extra=(f"{c.n + c.minimum_setup:,}",),
            )
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
