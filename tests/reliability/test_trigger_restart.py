"""The deferrable sensor across triggerer restarts, and duplicate triggers, for every service.

* The deadline is fixed when the sensor defers (absolute epoch seconds in the serialized trigger): a trigger
  rebuilt from that serialization after one or more "restarts" times out at the original deadline, not later.
* Several copies of the same trigger (a triggerer that restarted while the old one was still running, or two
  triggerers picking up the same row) are harmless: polling only reads (no delete route is ever hit, no job is
  touched), and every copy reports success once the jobs are gone.
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from airflow.sdk.exceptions import TaskDeferred
from airflow.sdk.module_loading import import_string

from airflow_provider_jobcleanup.sensors.jobs_gone import JobsGoneSensor
from chaos.harness import CHAOS_PROFILES, profile


@pytest.fixture
def service_conn(emulator, monkeypatch, request):
    chosen = profile(request.param)
    conn_id = f"restart_{chosen.service}"
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps(chosen.connection(emulator.url)))
    return chosen, conn_id


def defer(chosen, conn_id, job_ids, params, timeout: float):
    sensor = JobsGoneSensor(
        task_id="gone",
        conn_id=conn_id,
        service=chosen.service,
        job_ids=job_ids,
        deferrable=True,
        timeout=timeout,
        poke_interval=0.2,
        **params,
    )
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({})  # type: ignore[arg-type]
    return deferred.value.trigger


def revive(trigger):
    """What a (re)started triggerer does: rebuild the trigger from its serialized row."""
    classpath, kwargs = trigger.serialize()
    return import_string(classpath)(**json.loads(json.dumps(kwargs)))


def delete_routes(stats: dict[str, int]) -> dict[str, int]:
    return {k: v for k, v in stats.items() if "delete" in k.lower() or k.endswith(".kill")}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("service_conn", CHAOS_PROFILES, indirect=True)
def test_restarted_triggerer_keeps_the_original_deadline(emulator, service_conn):
    chosen, conn_id = service_conn
    targets, params = chosen.seed(emulator, 2)
    started = time.time()
    trigger = defer(chosen, conn_id, targets, params, timeout=2.0)
    deadline = trigger.end_time
    assert started + 1.5 <= deadline <= time.time() + 2.0

    async def run_for(revived, seconds):
        """Run a trigger for a while, then kill it (the triggerer process dies)."""
        task = asyncio.ensure_future(revived.run().__anext__())
        await asyncio.sleep(seconds)
        assert not task.done()
        task.cancel()

    # two restarts: each revived trigger carries the very same deadline
    for _ in range(2):
        revived = revive(trigger)
        assert revived.end_time == deadline
        asyncio.run(run_for(revived, 0.4))
        trigger = revived

    async def final():
        return await asyncio.wait_for(revive(trigger).run().__anext__(), timeout=10)

    event = asyncio.run(final())
    assert event.payload["status"] == "timeout"
    assert sorted(event.payload["remaining"]) == sorted(targets)
    # fired at the original deadline, not a fresh timeout after the last restart
    assert deadline - 0.05 <= time.time() < deadline + 1.0
    assert delete_routes(emulator.stats()) == {}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("service_conn", CHAOS_PROFILES, indirect=True)
def test_duplicate_triggers_only_read_and_all_succeed(emulator, service_conn):
    chosen, conn_id = service_conn
    targets, params = chosen.seed(emulator, 3)
    bystanders, _ = chosen.seed(emulator, 2)
    trigger = defer(chosen, conn_id, targets, params, timeout=60)
    copies = [revive(trigger) for _ in range(4)]

    async def all_events():
        tasks = [asyncio.ensure_future(c.run().__anext__()) for c in copies]
        await asyncio.sleep(1.0)
        assert not any(t.done() for t in tasks)  # the jobs still exist: every copy keeps polling
        stats = await asyncio.to_thread(emulator.stats)
        assert delete_routes(stats) == {}, stats  # four pollers, and not one write
        jobs = await asyncio.to_thread(emulator.jobs, chosen.service)
        assert all(j["delete_count"] == 0 and j["deleted_at"] is None for j in jobs)
        # now the jobs are deleted (once, by someone else) ...
        from airflow_provider_jobcleanup.services import get_cleanup_hook
        from tests.integration.huawei_helpers import connection_from

        hook = get_cleanup_hook("x", chosen.service, connection=connection_from(chosen.connection(emulator.url)))
        await asyncio.to_thread(lambda: hook.delete_jobs(targets, **params))
        return await asyncio.wait_for(asyncio.gather(*tasks), timeout=30)

    events = asyncio.run(all_events())
    assert [e.payload["status"] for e in events] == ["success"] * 4
    jobs = {j["job_id"]: j for j in emulator.jobs(chosen.service)}
    assert all(jobs[t]["delete_count"] == 1 for t in targets)  # deleted once: the pollers added nothing
    assert all(jobs[b]["delete_count"] == 0 and jobs[b]["deleted_at"] is None for b in bystanders)
