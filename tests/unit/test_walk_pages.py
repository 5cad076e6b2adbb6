"""``walk_pages``: a walk ends at a short page, at a page with nothing new, or once the total was seen, and a
listing that does not end within ``max_pages`` is an error naming the service, never an endless loop."""

from __future__ import annotations

import pytest

from airflow_provider_jobcleanup.exceptions import UnexpectedAnswerError
from airflow_provider_jobcleanup.hooks.paging import walk_pages
from airflow_provider_jobcleanup.models import JobInfo


def fetcher(pages: list[list[str]], total: int):
    asked: list[int] = []

    def fetch(index: int) -> tuple[list[JobInfo], int]:
        asked.append(index)
        return [JobInfo(job_id=i) for i in pages[index]], total

    return fetch, asked


def test_a_short_page_ends_the_walk():
    fetch, asked = fetcher([["a", "b"], ["c"], ["d", "e"]], total=99)
    assert [len(jobs) for jobs, _ in walk_pages(fetch, 2, 10)] == [2, 1] and asked == [0, 1]


def test_a_page_with_nothing_new_ends_the_walk():
    fetch, asked = fetcher([["a", "b"], ["c", "d"], ["c", "d"], ["e", "f"]], total=99)
    assert len(list(walk_pages(fetch, 2, 10))) == 3 and asked == [0, 1, 2]


def test_a_page_with_one_new_job_goes_on():
    fetch, asked = fetcher([["a", "b"], ["b", "c"], ["c", "d"], ["e"]], total=99)
    list(walk_pages(fetch, 2, 10))
    assert asked == [0, 1, 2, 3]


def test_the_walk_ends_once_the_total_was_seen():
    fetch, asked = fetcher([["a", "b"], ["c", "d"], ["e", "f"]], total=4)
    list(walk_pages(fetch, 2, 10))
    assert asked == [0, 1]


def test_a_listing_that_does_not_end_is_an_error_naming_the_service():
    fetch, asked = fetcher([[f"{p}-a", f"{p}-b"] for p in range(5)], total=99)
    with pytest.raises(UnexpectedAnswerError) as caught:
        list(walk_pages(fetch, 2, 3, service="res"))
    assert asked == [0, 1, 2] and caught.value.service == "res"
    assert caught.value.message == "the job list did not end within 3 pages of 2 (connection extra max_list_pages)"
