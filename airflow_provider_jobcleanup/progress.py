"""What a long delete shows in the task log while it runs: a progress line every few seconds, and the ids."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from airflow_provider_jobcleanup.models import DeletionReport

#: seconds between two progress lines of one delete
PROGRESS_INTERVAL = 5.0
#: how many job ids a log line names before "... and N more"
IDS_SHOWN = 50


class ProgressLog:
    """A :attr:`DeletionReport.on_progress` callback that logs at most one line per ``interval`` seconds:
    ``mrs cluster 6a8c...: 3,000 of 10,000 jobs done (2,990 deleted, 10 already gone, 0 failed)``.

    A delete that finishes within ``interval`` logs no progress line (its summary says it all).
    """

    def __init__(self, log: Callable[[str], None], label: str, total: int, *, interval: float | None = None) -> None:
        self.log = log
        self.label = label
        self.total = total
        self.interval = PROGRESS_INTERVAL if interval is None else interval
        self._last = time.monotonic()
        self._lock = threading.Lock()  # a hook may record outcomes from several threads

    def __call__(self, report: DeletionReport) -> None:
        with self._lock:
            now = time.monotonic()
            if now - self._last < self.interval:
                return
            self._last = now
            self.log(
                f"{self.label}: {report.done:,} of {self.total:,} jobs done ({len(report.deleted):,} deleted, "
                f"{len(report.already_gone):,} already gone, {len(report.failed):,} failed)"
            )


def preview(job_ids: Sequence[str], limit: int = IDS_SHOWN) -> str:
    """``"a, b, c ... and 7 more"``: the first ``limit`` ids, then how many were left out."""
    shown = ", ".join(job_ids[:limit])
    return shown + (f" ... and {len(job_ids) - limit} more" if len(job_ids) > limit else "")
