"""The throughput plot: jobs deleted per second against N, one panel per service, this project next to its
comparisons, from the points ``throughput.measure`` produced in the same run."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from benchmarks.common import machine
from benchmarks.throughput import RUNNERS, Point

STYLES: dict[str, dict[str, str]] = {
    "jobcleanup": {"color": "#d62728", "marker": "o", "linestyle": "-"},
    "floor (requests)": {"color": "#7f7f7f", "marker": "s", "linestyle": "--"},
    "floor (http.client)": {"color": "#bcbd22", "marker": "^", "linestyle": ":"},
    "naive": {"color": "#1f77b4", "marker": "v", "linestyle": "-"},
    "official SDK": {"color": "#2ca02c", "marker": "D", "linestyle": "-."},
}
LABELS = {
    "jobcleanup": "jobcleanup (this provider)",
    "floor (requests)": "floor: bare requests replay",
    "floor (http.client)": "floor: raw http.client replay",
    "naive": "hand-rolled loop, 1 request/job",
    "official SDK": "official SDK, same batches",
}


def plot(points: Sequence[Point], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    services = list(dict.fromkeys(p.service for p in points))
    columns = 3
    rows = -(-len(services) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(5.2 * columns, 4.2 * rows), squeeze=False)
    for ax, service in zip(axes.flat, services, strict=False):
        for runner in RUNNERS:
            series = sorted((p.n, p.jobs_per_second) for p in points if p.service == service and p.runner == runner)
            if series:
                ax.plot(*zip(*series, strict=True), label=LABELS[runner], linewidth=2, markersize=6, **STYLES[runner])
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(f"{service}" + (" (no batch API: 1 job per call)" if service == "res" else ""), fontsize=12)
        ax.set_xlabel("jobs deleted (N)")
        ax.set_ylabel("jobs per second")
        ax.grid(True, which="both", alpha=0.3)
    spare = list(axes.flat)[len(services) :]
    for ax in spare:
        ax.axis("off")
    handles, labels = next(iter(axes.flat)).get_legend_handles_labels()
    info = machine()
    caption = f"{info['cpus']} CPUs, {info['cpu']}; Python {info['python']}, Airflow {info['airflow']}; {info['date']}"
    if spare:
        spare[0].legend(handles, labels, loc="center", fontsize=11, frameon=False)
        spare[0].text(0.5, 0.05, caption, ha="center", fontsize=8, wrap=True, transform=spare[0].transAxes)
    else:
        fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=10)
    fig.suptitle("Batch deletion throughput against the bundled emulator (higher is better)", fontsize=14)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
