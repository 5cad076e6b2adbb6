"""The throughput plot: seconds to delete N jobs per service, one panel per latency, this project next to the
network-bound limit and the hand-written loops, from the points ``throughput.measure`` produced in the same
run. Loop bars measured on a sample and scaled are hatched."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from benchmarks.common import CASES, limit_seconds, machine
from benchmarks.throughput import RUNNERS, Point, find

COLORS: dict[str, str] = {
    "jobcleanup": "#d62728",
    "limit": "#7f7f7f",
    "loop (requests)": "#1f77b4",
    "loop (official SDK)": "#2ca02c",
}
LABELS = {
    "jobcleanup": "jobcleanup (this provider)",
    "limit": "limit: API calls x latency / concurrency",
    "loop (requests)": "hand-written loop, requests, 1 request/job",
    "loop (official SDK)": "hand-written loop, official SDK, 1 call/job",
}


def plot(points: Sequence[Point], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    services = list(dict.fromkeys(p.service for p in points))
    latencies = sorted({p.latency_ms for p in points})
    n = max(p.n for p in points)
    bars = ["jobcleanup", "limit", *RUNNERS[1:]]
    width = 0.8 / len(bars)
    fig, axes = plt.subplots(1, len(latencies), figsize=(7.5 * len(latencies), 5.2), squeeze=False)
    for ax, latency_ms in zip(axes.flat, latencies, strict=True):
        for index, bar in enumerate(bars):
            xs, heights, hatches = [], [], []
            for position, service in enumerate(services):
                ours = find(points, service, "jobcleanup", latency_ms)
                if bar == "limit":
                    if ours is None or latency_ms == 0:
                        continue
                    seconds, scaled = limit_seconds(CASES[service], ours.calls, latency_ms / 1000), False
                else:
                    point = find(points, service, bar, latency_ms)
                    if point is None:
                        continue
                    seconds, scaled = point.seconds, point.scaled
                xs.append(position + (index - (len(bars) - 1) / 2) * width)
                heights.append(seconds)
                hatches.append("//" if scaled else "")
            if xs:
                drawn = ax.bar(xs, heights, width, color=COLORS[bar], label=LABELS[bar])
                for patch, hatch in zip(drawn, hatches, strict=True):
                    patch.set_hatch(hatch)
        ax.set_xticks(range(len(services)), services)
        ax.set_yscale("log")
        ax.set_ylabel(f"seconds to delete {n:,} jobs (log scale)")
        ax.set_title(f"{latency_ms:.0f} ms per request" + (" (localhost, CPU-bound)" if latency_ms == 0 else ""))
        ax.grid(True, axis="y", which="both", alpha=0.3)
    handles, labels = axes.flat[-1].get_legend_handles_labels()
    info = machine()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=9, frameon=False)
    fig.suptitle(
        f"Deleting {n:,} jobs against the bundled emulator (lower is better; hatched: loop measured on a sample, "
        f"scaled)\n{info['cpus']} CPUs, {info['cpu']}; Python {info['python']}, Airflow {info['airflow']}; "
        f"{info['date']}",
        fontsize=11,
    )
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
