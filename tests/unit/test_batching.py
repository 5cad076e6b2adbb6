"""Cutting deletes into batches and bisecting a failed batch: every job gets its own outcome, a job's items are
never split apart, and an error the hook says is not about a job is never split, at any depth."""

from __future__ import annotations

import pytest

from airflow_provider_jobcleanup.exceptions import ApiError, TransientServiceError
from airflow_provider_jobcleanup.hooks.batching import chunks, send_bisecting


def test_chunks_keep_order_and_the_limit():
    assert list(chunks([1, 2, 3, 4, 5], 2)) == [[1, 2], [3, 4], [5]]
    assert list(chunks([], 3)) == []


def run(items, bad, *, should_split=None, key=None):
    sent, ok, failed = [], [], []

    def send(batch):
        sent.append(list(batch))
        if any(i in bad for i in batch):
            raise ApiError("refused", service="mrs", error_code="X" if len(batch) > 2 else "Y")
        return len(batch)

    kwargs = {}
    if should_split is not None:
        kwargs["should_split"] = should_split
    if key is not None:
        kwargs["key"] = key
    send_bisecting(
        items, send, on_success=lambda b, r: ok.append((b, r)), on_failure=lambda b, e: failed.append(b), **kwargs
    )
    return sent, ok, failed


def test_a_failed_batch_is_split_until_the_failing_job_stands_alone():
    sent, ok, failed = run([1, 2, 3, 4], bad={3})
    assert failed == [[3]]
    assert sorted(i for batch, _ in ok for i in batch) == [1, 2, 4]
    assert sent[0] == [1, 2, 3, 4]


def test_the_split_rule_holds_at_every_depth():
    # split a batch only while its error code is "X" (batches of more than two): pairs fail whole
    sent, ok, failed = run([1, 2, 3, 4, 5, 6, 7, 8], bad={3}, should_split=lambda e: e.error_code == "X")
    assert failed == [[3, 4]] and sorted(i for batch, _ in ok for i in batch) == [1, 2, 5, 6, 7, 8]
    assert sent == [[1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 3, 4], [1, 2], [3, 4], [5, 6, 7, 8]]


def test_a_job_s_items_stay_together():
    items = [("a", 1), ("a", 2), ("b", 1), ("b", 2)]
    _, ok, failed = run(items, bad={("b", 2)}, key=lambda item: item[0])
    assert failed == [[("b", 1), ("b", 2)]] and ok == [([("a", 1), ("a", 2)], 2)]


def test_an_error_that_ends_the_run_is_raised_not_split():
    def send(batch):
        raise TransientServiceError("outage", service="mrs")

    with pytest.raises(TransientServiceError, match="outage"):
        send_bisecting([1, 2], send, on_success=lambda b, r: None, on_failure=lambda b, e: None)
