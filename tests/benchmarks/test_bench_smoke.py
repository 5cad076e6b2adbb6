"""The benchmark modules in quick mode (small N), so they keep working: ``make bench`` is not run by ``make test``.

These check that each benchmark measures what it claims (counts equal the computed minimum, every trigger
succeeds, replays are accepted), not the performance targets themselves: those are figures, not timed tests.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from benchmarks import api_calls, client_cpu, import_cost, memory, throughput, trigger_load
from benchmarks.common import CASES, SERVICE_ORDER
from benchmarks.plot import plot


def test_api_calls_equal_the_computed_minimum(emulator, emulator_url):
    counts = api_calls.measure(emulator_url, emulator, sizes=(1, 101))
    assert {(c.service, c.n) for c in counts} >= {(s, n) for s in SERVICE_ORDER for n in (1, 101)}
    for c in counts:
        assert c.delete_calls == math.ceil(c.n / CASES[c.service].batch_limit), c
        assert c.met, c
    assert api_calls.table(counts).all_met


def test_throughput_runs_every_runner_and_replays_cleanly(emulator, emulator_url, tmp_path: Path):
    points = throughput.measure(emulator_url, emulator, services=("mrs", "scnet"), sizes=(30, 60), repeats=1)
    runners = {(p.service, p.runner) for p in points}
    assert ("mrs", "official SDK") in runners and ("scnet", "floor (http.client)") in runners
    naive = throughput.find(points, "mrs", "naive", 60)
    assert naive is not None and naive.calls == 60
    ours = throughput.find(points, "scnet", "jobcleanup", 60)
    assert ours is not None and ours.calls == math.ceil(60 / 50) + api_calls.SETUP_CALLS["scnet"]
    latency = throughput.latency_case(emulator_url, emulator, 16)
    assert [t.rows for t in throughput.tables(points, latency)]
    assert plot(points, tmp_path / "throughput.png").stat().st_size > 10_000


def test_client_cpu_compares_with_the_official_sdk(emulator, emulator_url):
    [figure] = client_cpu.measure(emulator_url, emulator, services=("dli",), n=200, repeats=1)
    assert set(figure.cpu) == {"jobcleanup", "floor (requests)", "floor (http.client)", "official SDK"}
    assert all(cpu > 0 for cpu in figure.cpu.values())
    assert client_cpu.table([figure]).rows[0].met is not None


def test_trigger_load_polls_once_per_page_and_every_trigger_succeeds(emulator, emulator_url):
    figures = trigger_load.measure(emulator_url, emulator, per_service=3, jobs=20, watch=8, poll=0.2)
    assert figures.outcomes == {"success": 15}
    for service, stats in figures.per_service.items():
        assert stats["polls"] >= 3, service
        assert stats["calls"] == stats["emulator_status_calls"], service
        assert stats["max_per_poll"] <= stats["bound"] == 1, service


def test_import_cost_child_reports_the_provider_modules():
    subjects = {"ours": import_cost.SUBJECTS["jobcleanup operator + sensor"]}
    [figure] = import_cost.measure(repeats=1, subjects=subjects)
    assert "airflow_provider_jobcleanup" in figure.new_packages
    assert "requests" not in figure.new_packages  # nothing network-related at DAG-parse time
    assert 0 < figure.added_s < 1.0


@pytest.mark.parametrize("n", [300])
def test_memory_child_deletes_everything(emulator_url, n):
    figure = memory.measure(emulator_url, n)
    assert figure.deleted == n and figure.calls == math.ceil(n / 100)
    assert 0 < figure.traced_peak_mb < memory.TARGET_MB


def test_breakdown_splits_the_client_cpu_by_layer(emulator, emulator_url):
    from benchmarks import breakdown

    [figure] = breakdown.measure(emulator_url, emulator, services=("mrs",), n=200, repeats=1)
    assert figure.calls == 2 and figure.total > 0 and figure.floor > 0
    assert 0 < figure.send < figure.request <= figure.total
    assert breakdown.table([figure]).rows[0].met is None
