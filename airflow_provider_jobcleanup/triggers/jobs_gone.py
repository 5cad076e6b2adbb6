"""``JobsGoneTrigger``: the deferred half of :class:`JobsGoneSensor`.

It reuses the synchronous hook in a worker thread (``asyncio.to_thread``), so the triggerer's event loop never
blocks on HTTP, and there is no second, async copy of the cloud code to drift. The connection is fetched
with the SDK's async call. The deadline is absolute (epoch seconds), serialized with the trigger, so a
restarted triggerer keeps the original timeout. Polls are read-only, so duplicate triggers are harmless.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_jobcleanup.exceptions import ApiError, JobCleanupError, PermanentError
from airflow_provider_jobcleanup.waiting import describe_present, still_present

MAX_REPORTED = 50


class JobsGoneTrigger(BaseTrigger):
    """Polls the service until every job is gone or ``end_time`` passes.

    Used by :class:`JobsGoneSensor` and by ``BatchDeleteJobsOperator(wait_for_completion=True)``. Events:
    ``success`` (``gone``: the job ids), ``timeout`` (``remaining``: up to 50 ids still present) and ``error``
    (``permanent``: whether retrying the task cannot help); every event has ``service`` and all but success a
    ``message``.

    :param end_time: absolute deadline, epoch seconds.
    """

    def __init__(
        self,
        *,
        conn_id: str,
        service: str,
        job_ids: list[str],
        service_params: dict[str, Any],
        poll_interval: float,
        end_time: float,
    ) -> None:
        super().__init__()
        self.conn_id = conn_id
        self.service = service
        self.job_ids = list(job_ids)
        self.service_params = dict(service_params)
        self.poll_interval = float(poll_interval)
        self.end_time = float(end_time)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "conn_id": self.conn_id,
                "service": self.service,
                "job_ids": self.job_ids,
                "service_params": self.service_params,
                "poll_interval": self.poll_interval,
                "end_time": self.end_time,
            },
        )

    async def _make_hook(self):
        from airflow.sdk import BaseHook

        from airflow_provider_jobcleanup.services import get_cleanup_hook

        connection = await BaseHook.aget_connection(self.conn_id)
        return get_cleanup_hook(self.conn_id, self.service, connection=connection)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        try:
            hook = await self._make_hook()
        except Exception as err:
            yield TriggerEvent(
                {
                    "status": "error",
                    "service": self.service,
                    "message": f"cannot build hook: {err}",
                    "permanent": isinstance(err, PermanentError),
                }
            )
            return
        # The sensor checked just before deferring, so the first poll waits one interval. This also keeps the
        # trigger from firing while the deferring worker is still exiting: Airflow 3.2-3.3 schedulers can fail
        # a task whose trigger fires that early (apache/airflow#66374, #67287, #72716).
        await asyncio.sleep(min(self.poll_interval, max(0.0, self.end_time - time.time())))
        while True:
            try:
                remaining, states = await asyncio.to_thread(
                    still_present, hook, self.job_ids, self.service_params
                )
            except JobCleanupError as err:
                if isinstance(err, ApiError) and err.retryable:
                    self.log.warning("status check failed after retries (%s); polling again", err)
                    remaining = self.job_ids
                else:
                    yield self._error(err)
                    return
            else:
                if not remaining:
                    yield TriggerEvent({"status": "success", "service": self.service, "gone": self.job_ids})
                    return
                self.log.info(describe_present(self.service, remaining, len(self.job_ids), states))
            now = time.time()
            if now >= self.end_time:
                yield TriggerEvent(
                    {
                        "status": "timeout",
                        "service": self.service,
                        "remaining": remaining[:MAX_REPORTED],
                        "message": f"{len(remaining)} of {len(self.job_ids)} {self.service} jobs still present "
                        f"at the deadline, e.g. {remaining[:5]}",
                    }
                )
                return
            await asyncio.sleep(min(self.poll_interval, max(0.0, self.end_time - now)))

    def _error(self, err: JobCleanupError) -> TriggerEvent:
        return TriggerEvent(
            {
                "status": "error",
                "service": self.service,
                "message": str(err),
                "permanent": isinstance(err, PermanentError),
            }
        )
