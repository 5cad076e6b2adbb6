"""``states_from_pages``: listed means present, absent means gone only from a complete listing, else the detail
call decides; and it spends as few calls as it can (pages still to walk versus jobs still to look up)."""

from __future__ import annotations

from collections.abc import Iterator

from airflow_provider_jobcleanup.hooks.paging import states_from_pages
from airflow_provider_jobcleanup.models import JobInfo, JobStatus


class Service:
    """``total`` jobs ``0``..``total-1`` listed ``page_size`` per page; counts page fetches and lookups."""

    def __init__(self, total: int, page_size: int = 100) -> None:
        self.ids = [str(i) for i in range(total)]
        self.page_size = page_size
        self.pages_read = 0
        self.looked_up: list[str] = []

    def pages(self) -> Iterator[tuple[list[JobInfo], int]]:
        for start in range(0, max(len(self.ids), 1), self.page_size):
            self.pages_read += 1
            rows = [JobInfo(job_id=i, state="RUNNING") for i in self.ids[start : start + self.page_size]]
            yield rows, len(self.ids)

    def look_up(self, job_id: str) -> JobStatus:
        self.looked_up.append(job_id)
        return JobStatus(job_id, gone=job_id not in self.ids)

    def states(self, job_ids: list[str]) -> dict[str, JobStatus]:
        return states_from_pages(job_ids, self.pages(), self.page_size, self.look_up)


def test_fewer_jobs_left_than_pages_left_are_looked_up_one_by_one():
    service = Service(total=500)  # 5 pages: 4 left after the first
    states = service.states(["1", "450", "499", "9999"])  # 3 not on the first page: 3 < 4
    assert service.pages_read == 1 and service.looked_up == ["450", "499", "9999"]
    assert [states[j].gone for j in ["1", "450", "499", "9999"]] == [False, False, False, True]
    assert states["1"] == JobStatus("1", gone=False, state="RUNNING")


def test_as_many_jobs_left_as_pages_left_walk_the_pages():
    service = Service(total=500)
    states = service.states(["150", "250", "350", "9999"])  # 4 not on the first page: 4 = 4 pages
    assert service.pages_read == 5 and service.looked_up == []  # the complete listing proves 9999 gone
    assert states["9999"] == JobStatus("9999", gone=True) and states["350"].gone is False


def test_the_walk_stops_as_soon_as_every_job_is_listed():
    service = Service(total=1000)  # 10 pages: 9 left after the first
    wanted = [str(i) for page in range(1, 6) for i in (page * 100 + 1, page * 100 + 2)]  # 10 jobs on pages 2-6
    states = service.states(wanted)
    assert service.pages_read == 6 and service.looked_up == []
    assert all(not states[j].gone for j in wanted)


def test_a_single_page_listing_decides_absence_without_lookups():
    service = Service(total=3)
    states = service.states(["0", "7"])
    assert service.pages_read == 1 and service.looked_up == [] and states["7"].gone is True


def test_an_empty_listing_proves_every_job_gone():
    service = Service(total=0)
    assert service.states(["5"]) == {"5": JobStatus("5", gone=True)} and service.looked_up == []


def test_no_page_is_read_after_the_one_that_lists_the_last_wanted_job():
    read: list[int] = []

    def pages() -> Iterator[tuple[list[JobInfo], int]]:
        for number, ids in enumerate([["a", "b"], ["c", "d"], ["e", "f"]], start=1):
            read.append(number)
            yield [JobInfo(job_id=i, state="RUNNING") for i in ids], 6

    states = states_from_pages(["a", "b", "c", "d"], pages(), 2, lambda job_id: JobStatus(job_id, gone=True))
    assert read == [1, 2] and all(not status.gone for status in states.values())
