"""Cutting a delete into batches of the service's limit (:func:`chunks`) and, when the service fails a whole
batch, finding out job by job (:func:`send_bisecting`).

Most services answer a batch with one error when one job in it cannot be deleted (missing, running,
malformed). Splitting the failed batch in halves until each failing job stands alone gives every job its own
outcome for about ``2 * failures * log2(batch)`` extra calls, instead of one call per job.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator, Sequence
from typing import Any, TypeVar

from airflow_provider_jobcleanup.exceptions import ApiError, ends_run

Item = TypeVar("Item")


def chunks(items: Sequence[Item], size: int) -> Iterator[list[Item]]:
    """Consecutive slices of at most ``size`` items (a service's per-call limit)."""
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


def _identity(item: Any) -> Hashable:
    return item


def _about_jobs(error: ApiError) -> bool:
    # Throttling, outages and answers not understood are not about a job: splitting would only add calls.
    return not ends_run(error)


def send_bisecting(
    items: list[Item],
    send: Callable[[list[Item]], Any],
    *,
    on_success: Callable[[list[Item], Any], None],
    on_failure: Callable[[list[Item], ApiError], None],
    key: Callable[[Item], Hashable] = _identity,
    should_split: Callable[[ApiError], bool] = _about_jobs,
) -> None:
    """``send(items)``; on an error that ``should_split``, retry each half until the failing jobs are alone.

    :param key: the job an item belongs to; a job's items are never split apart.
    :param on_success: called with the items of every batch that succeeded and ``send``'s result.
    :param on_failure: called with the items that failed and the error (a single job's, unless the error
        was not worth splitting). Errors that end the run (:func:`ends_run`) propagate instead.
    """
    try:
        result = send(items)
    except ApiError as error:
        if ends_run(error):
            raise
        jobs = list(dict.fromkeys(key(item) for item in items))
        if len(jobs) > 1 and should_split(error):
            first = set(jobs[: len(jobs) // 2])
            for half in ([i for i in items if key(i) in first], [i for i in items if key(i) not in first]):
                send_bisecting(
                    half, send, on_success=on_success, on_failure=on_failure, key=key, should_split=should_split
                )
            return
        on_failure(items, error)
        return
    on_success(items, result)
