"""Target 3: client CPU per deleted job, against the official SDKs doing the same batched deletes.

Both sides build their client (hook or SDK client) and delete the same number of freshly seeded jobs in
100-job batches against the emulator, with the same AK/SK credentials; the CPU time of this process (every
thread, ``time.process_time``) is divided by the jobs deleted. The emulator is another process, so its work is
not counted. Imports and first connections are paid in a warm-up run first. Median of ``repeats`` runs. The
floors (the same requests replayed, already signed, by a bare ``requests.Session`` and by raw ``http.client``)
show how much of the figure is the HTTP library. RES and SCNet have no official Python SDK here (RES: not
installed; SCNet: none published): their figures are context.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks import clients
from benchmarks.common import CASES, SERVICE_ORDER, Row, Table, emulator, load, median, quiet_logging, seed, timed
from benchmarks.throughput import ours_and_floor

TARGET_RATIO = 1 / 3


@dataclass(frozen=True)
class CpuFigure:
    """Median CPU seconds per runner (``jobcleanup``, the floors, ``official SDK``) for ``n`` jobs."""

    service: str
    n: int
    cpu: dict[str, float]
    load: str

    def per_job_us(self, runner: str) -> float | None:
        return self.cpu[runner] / self.n * 1e6 if runner in self.cpu else None


def sdk_cpu(url: str, admin: Any, service: str, n: int) -> float:
    case = CASES[service]
    admin.reset()
    ids = seed(admin, case, n)
    _, cpu, _ = timed(lambda: clients.sdk_delete(case, url, ids))
    if admin.live_ids(service):
        raise RuntimeError(f"official {service} SDK left jobs behind")
    return cpu


def measure(
    url: str, admin: Any, services: Sequence[str] = SERVICE_ORDER, n: int = 10_000, repeats: int = 3
) -> list[CpuFigure]:
    figures = []
    for service in services:
        case = CASES[service]
        with_sdk = service in clients.SDK_SERVICES
        ours_and_floor(case, url, admin, 200)  # warm-up
        if with_sdk:
            sdk_cpu(url, admin, service, 200)
        size = min(n, 2_000) if case.batch_limit == 1 else n
        samples: dict[str, list[float]] = {}
        for _ in range(repeats):  # interleaved, so a burst of machine load hits every side alike
            run = ours_and_floor(case, url, admin, size)
            for runner, cpu in run.cpu.items():
                samples.setdefault(runner, []).append(cpu)
            if with_sdk:
                samples.setdefault("official SDK", []).append(sdk_cpu(url, admin, service, size))
        figures.append(CpuFigure(service, size, {k: median(v) for k, v in samples.items()}, load()))
    admin.reset()
    return figures


def table(figures: Sequence[CpuFigure]) -> Table:
    result = Table(
        "Client CPU per deleted job (client process only; target <= 1/3 of the official SDK)",
        header=(
            "service, N",
            "jobcleanup",
            "official SDK (same batches)",
            "floor: bare requests replay",
            "floor: raw http.client replay",
            "target",
            "met?",
        ),
    )
    for f in figures:
        ours = f.per_job_us("jobcleanup") or 0.0
        sdk = f.per_job_us("official SDK")
        floors = tuple(
            f"{f.per_job_us(runner) or 0.0:.1f} us/job" for runner in ("floor (requests)", "floor (http.client)")
        )
        label = f"{f.service}, N={f.n:,}"
        if sdk is None:
            result.add(Row(label, f"{ours:.1f} us/job", "no official Python SDK", "-", None, extra=floors))
            continue
        result.add(
            Row(
                label,
                f"{ours:.1f} us/job",
                f"{sdk:.1f} us/job; ours = {ours / sdk:.2f} of it",
                f"<= {TARGET_RATIO:.2f}",
                ours / sdk <= TARGET_RATIO,
                extra=floors,
            )
        )
    result.notes.append(
        "CPU = time.process_time() of the client process (all threads) around building the client and deleting; "
        "the emulator runs in another process. RES is one call per job (N capped at 2,000): its figure is per call"
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
