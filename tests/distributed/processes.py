"""Processes of the distributed run: each in its own session (process group), logged to a file, and stopped
with its whole tree, children that moved to process groups of their own included."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import psutil

from tests import processes


def tree(pid: int) -> list[psutil.Process]:
    """``pid`` and every descendant still alive."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def kill_tree(pid: int, sig: int = signal.SIGKILL) -> int:
    """Send ``sig`` to ``pid``'s process group and to every descendant (Airflow's task processes run in
    process groups of their own); returns how many processes were signalled."""
    members = tree(pid)
    for pgid in {_pgid(p.pid) for p in members} - {None, os.getpgrp()}:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, sig)  # type: ignore[arg-type]
    for member in members:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            member.send_signal(sig)
    return len(members)


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


class ProcessSet:
    """Named long-running processes. ``stop_all`` ends them in reverse start order."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.stop_signals: dict[str, int] = {}
        #: every process seen in a managed tree, so strays re-parented to init are still found at the end
        #: (psutil identifies a process by pid and creation time: a reused pid is never signalled)
        self.seen: dict[int, psutil.Process] = {}
        self.killed: set[str] = set()

    def start(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        *,
        user: str | None = None,
        stop_signal: int = signal.SIGTERM,
    ) -> subprocess.Popen[bytes]:
        log = (self.log_dir / f"{name}.log").open("ab")
        proc = processes.start(  # its own session, known to the suite's leftover check
            argv,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            user=user,
            group=user,
            cwd=self.log_dir,
        )
        log.close()
        self.procs[name] = proc
        self.stop_signals[name] = stop_signal
        return proc

    def pid(self, name: str) -> int:
        return self.procs[name].pid

    def remember(self) -> None:
        """Record the current members of every tree (called now and then while the run goes on)."""
        for proc in self.procs.values():
            self.seen.update((p.pid, p) for p in tree(proc.pid))

    def kill(self, name: str) -> float:
        """SIGKILL ``name``'s whole tree, like losing the machine; returns the time of the kill."""
        self.killed.add(name)
        kill_tree(self.pid(name))
        killed_at = time.time()
        self.remember()
        self.procs[name].wait(timeout=30)
        return killed_at

    def log_tail(self, name: str, chars: int = 4000) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def stop_all(self, grace: float = 20.0) -> None:
        self.remember()
        for name in reversed(list(self.procs)):
            proc = self.procs[name]
            if proc.poll() is None:
                kill_tree(proc.pid, self.stop_signals[name])
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=grace)
            kill_tree(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
        for process in self.seen.values():  # anything left of the managed trees, wherever it was re-parented
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                if process.is_running():
                    process.kill()
