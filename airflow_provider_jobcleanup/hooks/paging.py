"""Walking a service's paged job list, and answering "which of these are gone" from it.

Shared by the hooks whose list call pages by number or offset (MRS, DLI, RES). Each hook supplies one
function that fetches page ``index`` (0-based) as ``JobInfo`` objects plus the total the service reports;
paging, stopping and the choice between listing and per-job lookups live here once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, timezone

from airflow_provider_jobcleanup.models import JobFilter, JobInfo, JobStatus

#: page index (0-based) -> (jobs on that page, total number of jobs the service reports)
FetchPage = Callable[[int], tuple[list[JobInfo], int]]
Page = tuple[list[JobInfo], int]


def walk_pages(fetch: FetchPage, page_size: int) -> Iterator[Page]:
    """Yield pages until a short page, a page with nothing new (so a misread offset cannot loop forever),
    or once the reported total was seen."""
    seen: set[str] = set()
    index = 0
    while True:
        jobs, total = fetch(index)
        yield jobs, total
        new = {job.job_id for job in jobs} - seen
        seen |= new
        if len(jobs) < page_size or not new or len(seen) >= total:
            return
        index += 1


def states_from_pages(
    job_ids: Sequence[str],
    pages: Iterator[Page],
    page_size: int,
    look_up: Callable[[str], JobStatus],
) -> dict[str, JobStatus]:
    """Whether each job is gone: listed means present, absent from the whole list means gone.

    After the first page, when fewer jobs are still unresolved than pages remain, the rest are looked up one
    by one with ``look_up`` instead: whichever costs fewer calls. Never one call per job otherwise.
    """
    wanted = set(job_ids)
    found: dict[str, JobStatus] = {}

    def collect(jobs: Iterable[JobInfo]) -> None:
        for job in jobs:
            if job.job_id in wanted:
                found[job.job_id] = JobStatus(job.job_id, gone=False, state=job.state)

    first = next(pages, None)
    if first is not None:
        jobs, total = first
        collect(jobs)
        remaining_pages = max(0, -(-total // page_size) - 1)
        unresolved = wanted - found.keys()
        if unresolved and len(unresolved) < remaining_pages:
            for job_id in sorted(unresolved):
                found[job_id] = look_up(job_id)
        else:
            for jobs, _ in pages:
                collect(jobs)
                if wanted <= found.keys():
                    break
    return {job_id: found.get(job_id) or JobStatus(job_id, gone=True) for job_id in job_ids}


def select_matching(pages: Iterable[Page], job_filter: JobFilter) -> list[JobInfo]:
    """Every listed job that passes ``job_filter``, each once, in listing order."""
    now = datetime.now(timezone.utc)
    selected: dict[str, JobInfo] = {}
    for jobs, _ in pages:
        for job in jobs:
            if job.job_id not in selected and job_filter.matches(job, now):
                selected[job.job_id] = job
    return list(selected.values())
