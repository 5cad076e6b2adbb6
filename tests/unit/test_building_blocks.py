"""The building blocks every hook uses: time formats, batches, page walks and recording outcomes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from airflow_provider_jobcleanup.exceptions import UnexpectedAnswerError
from airflow_provider_jobcleanup.hooks import times
from airflow_provider_jobcleanup.hooks.batching import chunks
from airflow_provider_jobcleanup.hooks.paging import walk_pages
from airflow_provider_jobcleanup.models import ALREADY_GONE, DELETED, DeletionReport, Outcome

NEW_YEAR = datetime(2024, 1, 1, tzinfo=timezone.utc)
UTC8 = timezone(timedelta(hours=8))


def test_epoch_ms_reads_numbers_and_digit_strings() -> None:
    assert times.epoch_ms(1704067200000) == NEW_YEAR
    assert times.epoch_ms(" 1704067200000 ") == NEW_YEAR
    assert times.epoch_ms(1704067200000.0) == NEW_YEAR


@pytest.mark.parametrize("value", [None, "", "-", 0, "0", True, "2024-01-01", 10**30, [1]])
def test_epoch_ms_is_none_for_what_is_not_a_set_epoch(value) -> None:
    assert times.epoch_ms(value) is None


def test_epoch_s_or_ms_tells_the_unit_by_magnitude() -> None:
    assert times.epoch_s_or_ms(1704067200) == NEW_YEAR
    assert times.epoch_s_or_ms("1704067200000") == NEW_YEAR
    assert times.epoch_s_or_ms("yesterday") is None


def test_iso_8601_reads_offsets_and_places_naive_times_in_the_given_zone() -> None:
    assert times.iso_8601("2024-01-01T00:00:00Z") == NEW_YEAR
    assert times.iso_8601("2024-01-01 08:00:00+08:00") == NEW_YEAR
    assert times.iso_8601("2024-01-01 08:00:00", UTC8) == NEW_YEAR
    assert times.iso_8601("2024-01-01T00:00:00") == NEW_YEAR
    assert times.iso_8601("garbage") is None and times.iso_8601(17) is None and times.iso_8601("") is None


def test_local_text_round_trips() -> None:
    pattern = "%Y-%m-%d %H:%M:%S"
    assert times.local_text("2024-01-01 08:00:00", pattern, UTC8) == NEW_YEAR
    assert times.to_local_text(NEW_YEAR, pattern, UTC8) == "2024-01-01 08:00:00"
    assert times.local_text("01/01/2024", pattern, UTC8) is None and times.local_text(None, pattern, UTC8) is None


def test_chunks_cut_any_sequence_at_the_limit() -> None:
    assert list(chunks(["a", "b", "c"], 2)) == [["a", "b"], ["c"]]
    assert list(chunks([(1, "x"), (2, "y")], 5)) == [[(1, "x"), (2, "y")]]
    assert list(chunks([], 3)) == []


def test_walk_pages_goes_by_the_raw_rows_given_a_row_id() -> None:
    rows = [{"id": str(i)} for i in range(5)]

    def fetch(index: int) -> tuple[list[dict[str, str]], int]:
        return rows[index * 2 : index * 2 + 2], len(rows)

    pages = list(walk_pages(fetch, 2, 10, "demo", row_id=lambda row: row["id"]))
    assert [len(page) for page, _ in pages] == [2, 2, 1]
    with pytest.raises(UnexpectedAnswerError, match="within 2 pages of 2"):
        list(walk_pages(fetch, 2, 2, "demo", row_id=lambda row: row["id"]))


def test_outcomes_are_recorded_one_way_and_reported_as_progress() -> None:
    seen: list[int] = []
    report = DeletionReport(service="demo", requested=list("abcdef"), on_progress=lambda r: seen.append(r.done))
    report.record_deleted(["a", "b"])
    report.record_gone(job for job in ["c"])
    report.record_failed("d", "refused")
    report.record("e", DELETED)
    report.record("f", Outcome.failure("busy"))
    assert report.to_dict()["deleted"] == ["a", "b", "e"]
    assert report.already_gone == ["c"] and report.failed == {"d": "refused", "f": "busy"}
    assert seen == [2, 3, 4, 5, 6]
    assert report.unaccounted == []
    report.record("g", ALREADY_GONE)
    assert report.already_gone == ["c", "g"]
