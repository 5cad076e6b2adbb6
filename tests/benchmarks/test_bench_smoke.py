"""The benchmark modules in quick mode (small N), so they keep working: ``make bench`` is not run by ``make test``.

These check that each benchmark measures what it claims (counts within the bounds of ``common.CASES``, the
emulator's latency really delays each call, loops send one request per job, every trigger succeeds), not the
performance targets themselves: those are figures, not timed tests.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest
import requests

from benchmarks import api_calls, import_cost, memory, polling, throughput, trigger_load
from benchmarks.common import CASES, SERVICE_ORDER, delete_calls, limit_seconds, status_bound, with_latency
from benchmarks.plot import plot
from benchmarks.run_all import RESULTS_MARKER, write_results


def test_emulator_latency_delays_service_requests_not_admin_ones(emulator, emulator_url):
    lagged = with_latency(emulator, 150)
    [job] = lagged.seed("mrs", 1, state="FAILED")  # admin requests: not delayed
    started = time.perf_counter()
    lagged.stats()
    assert time.perf_counter() - started < 0.15
    started = time.perf_counter()
    answer = requests.get(f"{emulator_url}/v2/p/clusters/c/job-executions/{job}", timeout=10)
    assert time.perf_counter() - started >= 0.15 and answer.status_code in (401, 403, 404)
    lagged.reset()  # the latency survives a reset through the wrapper
    started = time.perf_counter()
    requests.get(f"{emulator_url}/v2/p/clusters/c/job-executions/{job}", timeout=10)
    assert time.perf_counter() - started >= 0.15
    refused = requests.post(f"{emulator_url}/_emulator/config", json={"latency_ms": -1}, timeout=10)
    assert refused.status_code == 400
    with_latency(emulator, 0).reset()


def test_api_calls_stay_within_the_bounds_of_the_service_table(emulator, emulator_url):
    counts = api_calls.measure(emulator_url, emulator, sizes=(1, 101))
    assert {(c.service, c.n) for c in counts} >= {(s, n) for s in SERVICE_ORDER for n in (1, 101)}
    for c in counts:
        case = CASES[c.service]
        assert c.calls.delete == delete_calls(case, c.n) == math.ceil(c.n / case.batch_limit), c
        assert c.calls.status <= status_bound(case, c.n, c.n), c
        assert c.hook_calls == c.calls.total and c.met, c
    assert api_calls.table(counts).all_met


def test_throughput_measures_latency_the_limit_and_the_loops(emulator, emulator_url, tmp_path: Path):
    points = throughput.measure(
        emulator_url, emulator, services=("mrs", "res"), n=40, latencies_ms=(0, 30), loop_sample=10
    )
    ours = throughput.find(points, "mrs", "jobcleanup", 30)
    assert ours is not None and ours.calls.delete == 1 and 1 <= ours.calls.status <= status_bound(CASES["mrs"], 40, 40)
    assert ours.seconds >= limit_seconds(CASES["mrs"], ours.calls, 0.030)  # the latency was applied
    res = throughput.find(points, "res", "jobcleanup", 30)
    assert res is not None and res.calls.delete == 40
    assert limit_seconds(CASES["res"], res.calls, 0.030) == pytest.approx(0.030 * (res.calls.status + 5))
    for runner in ("loop (requests)", "loop (official SDK)"):
        loop = throughput.find(points, "mrs", runner, 30)
        assert loop is not None and loop.scaled and loop.measured_n == 10 and loop.calls.delete == 40
        assert loop.seconds >= 40 * 0.030  # one call per job, each delayed
    assert throughput.find(points, "res", "loop (official SDK)", 30) is None  # no official SDK for RES
    limit, loops = throughput.tables(points)
    assert len(limit.rows) == 2 and len(loops.rows) == 4
    assert "measured on 10, scaled" in loops.render()
    assert plot(points, tmp_path / "throughput.png").stat().st_size > 10_000


def test_polling_counts_status_calls_per_poll(emulator, emulator_url):
    polls = polling.measure(emulator_url, emulator, services=("mrs", "ehpc"), watched=30, listed=250)
    phases = [("mrs", "present"), ("mrs", "gone"), ("ehpc", "present"), ("ehpc", "gone")]
    assert [(p.service, p.phase) for p in polls] == phases
    for p in polls:
        assert p.gone == (30 if p.phase == "gone" else 0), p
        assert 1 <= p.status_calls == p.hook_calls <= p.bound, p
    assert polling.table(polls).all_met


def test_trigger_load_polls_within_the_bound_and_every_trigger_succeeds(emulator, emulator_url):
    figures = trigger_load.measure(emulator_url, emulator, per_service=3, jobs=20, watch=8, poll=0.2)
    assert figures.outcomes == {"success": 15}
    for service, stats in figures.per_service.items():
        assert stats["polls"] >= 3, service
        assert stats["calls"] == stats["emulator_status_calls"], service
        assert stats["max_per_poll"] <= stats["bound"], service
        assert stats["max_during_delete"] <= stats["bound_during_delete"] == stats["bound"] + 8, service
    assert [t.rows for t in trigger_load.tables([figures])]


def test_import_cost_child_reports_the_provider_modules():
    subjects = {"ours": import_cost.SUBJECTS["jobcleanup operator + sensor"]}
    [figure] = import_cost.measure(repeats=1, subjects=subjects)
    assert "airflow_provider_jobcleanup" in figure.new_packages
    assert "requests" not in figure.new_packages  # nothing network-related at DAG-parse time
    assert 0 < figure.added_s < 1.0


def test_memory_child_deletes_everything(emulator_url):
    n = 300
    figure = memory.measure(emulator_url, n)
    case = CASES["mrs"]
    assert figure.deleted == n
    assert delete_calls(case, n) < figure.calls <= delete_calls(case, n) + status_bound(case, n, n)
    assert 0 < figure.traced_peak_mb < memory.TARGET_MB


def test_results_file_keeps_its_prose(tmp_path: Path):
    path = tmp_path / "RESULTS.md"
    path.write_text(f"# Results\n\nprose\n\n{RESULTS_MARKER}\n\nold tables\n")
    write_results(path, "new tables\n")
    assert path.read_text() == f"# Results\n\nprose\n\n{RESULTS_MARKER}\n\nnew tables\n"
