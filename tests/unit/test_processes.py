"""The process helper stops a whole process group, and the end-of-run check sees what a run leaves behind."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import psutil

from tests import processes
from tests.leftovers import Baseline, check, processes_left

ROOT = Path(__file__).resolve().parents[2]
# a child that spawns a grandchild, and both ignore SIGTERM
STUBBORN = (
    "import signal,subprocess,sys,time;signal.signal(signal.SIGTERM,signal.SIG_IGN);"
    "subprocess.Popen([sys.executable,'-c','import signal,time;signal.signal(signal.SIGTERM,signal.SIG_IGN);"
    "time.sleep(300)']);time.sleep(300)"
)


def wait_for_members(proc: subprocess.Popen, count: int) -> list[psutil.Process]:
    deadline = time.monotonic() + 10
    while len(members := processes.group(proc)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return members


def test_stop_ends_the_leader_and_its_children():
    proc = processes.start(["sh", "-c", "sleep 300 & sleep 300 & wait"])
    members = wait_for_members(proc, 3)
    assert len(members) == 3
    started = time.monotonic()
    processes.stop(proc)
    assert time.monotonic() - started < 10
    assert processes.group(proc) == []
    assert not any(m.is_running() and m.status() != psutil.STATUS_ZOMBIE for m in members)
    assert proc.returncode is not None


def test_stop_kills_what_ignores_sigterm_after_the_timeout():
    proc = processes.start([sys.executable, "-c", STUBBORN])
    assert len(wait_for_members(proc, 2)) == 2
    started = time.monotonic()
    processes.stop(proc, timeout=1.0)
    assert 1.0 <= time.monotonic() - started < 10
    assert processes.group(proc) == []
    processes.stop(proc)  # stopping again is harmless


def test_the_check_names_a_left_process_and_folder(tmp_path):
    base = Baseline.take(ROOT, tmp_path, expected=frozenset({"kept"}))
    (tmp_path / "kept").mkdir()
    (tmp_path / "forgotten").mkdir()
    proc = processes.start([sys.executable, "-c", "import time; time.sleep(300)"], cwd=ROOT)
    try:
        assert proc.pid in {p.pid for p in processes_left(base)}
        problems = check(base, grace=0)
        assert any(line.startswith(f"process {proc.pid}:") for line in problems), problems
        assert f"temporary folder or file {tmp_path / 'forgotten'}" in problems
        assert not any("kept" in line for line in problems)
        proc.wait(timeout=10)  # the check killed it
    finally:
        processes.stop(proc)
    assert check(base, grace=0) == [f"temporary folder or file {tmp_path / 'forgotten'}"]
