"""Child processes that never outlive their owner.

:func:`start` runs a command in its own session, so the command and everything it spawns (Airflow's scheduler
forks executor workers and a log server, for instance) share one process group. :func:`stop` ends that whole
group: SIGTERM, a bounded wait, then SIGKILL for whatever remains. Used by the tests, the demo, the benchmarks
and the chaos runner for every long-lived process they start.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from typing import Any

import psutil

#: process groups started by :func:`start` in this process (the leftover check counts them as the run's)
started_groups: set[int] = set()


def start(args: list[str], **popen: Any) -> subprocess.Popen[Any]:
    """``subprocess.Popen(args, **popen)`` as the leader of a new session (and process group)."""
    proc = subprocess.Popen(args, start_new_session=True, **popen)
    started_groups.add(proc.pid)
    return proc


def group(proc: subprocess.Popen[Any]) -> list[psutil.Process]:
    """The running processes of ``proc``'s group, plus its descendants that left the group (zombies excluded:
    they have already exited)."""
    found: dict[int, psutil.Process] = {}
    for candidate in psutil.process_iter():
        with contextlib.suppress(OSError):  # exited meanwhile
            if os.getpgid(candidate.pid) == proc.pid:
                found[candidate.pid] = candidate
    with contextlib.suppress(psutil.Error):
        for child in psutil.Process(proc.pid).children(recursive=True):
            found.setdefault(child.pid, child)
    return [p for p in found.values() if _running(p)]


def stop(proc: subprocess.Popen[Any], timeout: float = 15.0) -> None:
    """End ``proc`` and every process of its group or below it: SIGTERM, wait up to ``timeout`` seconds, then
    SIGKILL and wait up to 5 more. Idempotent: stopping a stopped process does nothing."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        remaining = group(proc)
        if not remaining:
            break
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        for member in remaining:  # descendants that moved to another group
            with contextlib.suppress(psutil.Error):
                member.send_signal(sig)
        deadline = time.monotonic() + wait
        while group(proc) and time.monotonic() < deadline:
            time.sleep(0.1)
    # reap the leader (only now: until it is reaped its pid, and so the group id, cannot be reused)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def _running(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
