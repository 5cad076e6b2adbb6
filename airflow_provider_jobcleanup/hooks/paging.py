"""Walking a service's paged job list, and answering "which of these are gone" from it.

Each hook supplies one function that fetches page ``index`` (0-based) as rows plus the total the service
reports: ``JobInfo`` rows (ids in canonical form, rows already checked against the cluster / owner asked
for), or the service's raw rows with a ``row_id`` when rows must be seen before some are left out (SCNet
keeps only its manager's and owner's rows, yet a page is short, or adds nothing new, by what the service
sent). A listing proves presence; it proves absence only when it is proven complete: the same total on
every page, and exactly that many distinct rows seen. Jobs absent from a listing that is not proven complete
are confirmed one by one with the hook's detail call, whose not-found answer is positive evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from operator import attrgetter
from typing import Any, TypeVar

from airflow_provider_jobcleanup.exceptions import UnexpectedAnswerError
from airflow_provider_jobcleanup.models import JobFilter, JobInfo, JobStatus

#: page index (0-based) -> (jobs on that page, total number of jobs the service reports)
FetchPage = Callable[[int], tuple[list[JobInfo], int]]
Page = tuple[list[JobInfo], int]
Row = TypeVar("Row")


def walk_pages(
    fetch: Callable[[int], tuple[list[Row], int]],
    page_size: int,
    max_pages: int,
    service: str = "",
    row_id: Callable[[Any], str] = attrgetter("job_id"),
) -> Iterator[tuple[list[Row], int]]:
    """Yield pages until a short page, a page with nothing new, or once the reported total was seen.

    :param row_id: a row's job id (default: ``JobInfo.job_id``).

    More than ``max_pages`` pages is an error: a listing that never ends is not an answer.
    """
    seen: set[str] = set()
    for index in range(max_pages):
        jobs, total = fetch(index)
        yield jobs, total
        new = {row_id(job) for job in jobs} - seen
        seen |= new
        if len(jobs) < page_size or not new or len(seen) >= total:
            return
    raise UnexpectedAnswerError(
        f"the job list did not end within {max_pages} pages of {page_size} (connection extra max_list_pages)",
        service=service,
    )


@dataclass
class Listing:
    """What a walk of the pages saw.

    :param jobs: each listed job once, by canonical id.
    :param complete: proven complete: one total on every page and exactly that many distinct rows.
    :param conflicts: ids listed more than once with different states.
    """

    jobs: dict[str, JobInfo] = field(default_factory=dict)
    totals: set[int] = field(default_factory=set)
    conflicts: set[str] = field(default_factory=set)

    def add(self, page: Page) -> None:
        jobs, total = page
        self.totals.add(total)
        for job in jobs:
            known = self.jobs.setdefault(job.job_id, job)
            if known.state != job.state:
                self.conflicts.add(job.job_id)

    @property
    def complete(self) -> bool:
        return len(self.totals) == 1 and len(self.jobs) == next(iter(self.totals)) and not self.conflicts


def read_listing(pages: Iterable[Page]) -> Listing:
    listing = Listing()
    for page in pages:
        listing.add(page)
    return listing


def states_from_pages(
    job_ids: Sequence[str],
    pages: Iterator[Page],
    page_size: int,
    look_up: Callable[[str], JobStatus],
) -> dict[str, JobStatus]:
    """Whether each job is gone: listed means present; absent means gone only when the listing is proven
    complete, otherwise ``look_up`` (the detail call) decides.

    After the first page, when fewer jobs are still unresolved than pages remain, the rest are looked up one
    by one instead: whichever costs fewer calls.
    """
    wanted = set(job_ids)
    listing = Listing()
    first = next(pages, None)
    if first is not None:
        listing.add(first)
        total = first[1]
        remaining_pages = max(0, -(-total // page_size) - 1)
        unresolved = wanted - listing.jobs.keys()
        if unresolved and len(unresolved) < remaining_pages:
            return _resolve(job_ids, listing, look_up, trust_absence=False)
        for page in pages:
            listing.add(page)
            if wanted <= listing.jobs.keys():
                break
    return _resolve(job_ids, listing, look_up, trust_absence=listing.complete)


def _resolve(
    job_ids: Sequence[str], listing: Listing, look_up: Callable[[str], JobStatus], *, trust_absence: bool
) -> dict[str, JobStatus]:
    states: dict[str, JobStatus] = {}
    for job_id in job_ids:
        row = listing.jobs.get(job_id)
        if row is not None:
            states[job_id] = JobStatus(job_id, gone=False, state=row.state)
        elif trust_absence:
            states[job_id] = JobStatus(job_id, gone=True)
        else:
            states[job_id] = look_up(job_id)
    return states


def select_matching(pages: Iterable[Page], job_filter: JobFilter, service: str = "") -> list[JobInfo]:
    """Every listed job that passes ``job_filter``, each once, in listing order. A job listed twice with
    different states is an error: the service's answer cannot say which one is true."""
    now = datetime.now(timezone.utc)
    listing = read_listing(pages)
    if listing.conflicts:
        raise UnexpectedAnswerError(
            f"the job list shows jobs {sorted(listing.conflicts)[:5]} twice with different states", service=service
        )
    return [job for job in listing.jobs.values() if job_filter.matches(job, now)]
