"""What a test run leaves behind: processes it started that still run (with the TCP ports they listen on),
listening sockets of the test process itself, and temporary folders.

``tests/conftest.py`` takes a :class:`Baseline` when the session starts and calls :func:`check` when it ends.
A process counts as the run's when it did not exist at the start and either descends from the test process or
was re-parented away from it but still shows where it came from: it is in the test process's process group or
in a group that :func:`tests.processes.start` created, or its working directory or command line is in the
run's own temporary folder. Other processes running at the same time (another checkout's tests, a developer's
shell in this checkout) are not counted. Zombies are not counted either: they have exited, only their parent has not
collected their status.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from tests.processes import started_groups

#: temporary folders their creator removes when the test process exits, after this check: multiprocessing's
OWN_CLEANUP_PREFIXES = ("pymp-",)


@dataclass(frozen=True)
class Baseline:
    """The state at session start.

    :param root: the checkout.
    :param run_tmp: the run's temporary folder (its ``TMPDIR``).
    :param expected: entries of ``run_tmp`` that the session itself creates and removes.
    :param processes: ``(pid, create_time)`` of every process then running.
    :param listening: ``(address, port)`` of every listening TCP socket then open.
    """

    root: Path
    run_tmp: Path
    expected: frozenset[str]
    processes: frozenset[tuple[int, float]]
    listening: frozenset[tuple[str, int]]

    @classmethod
    def take(cls, root: Path, run_tmp: Path, expected: frozenset[str] = frozenset()) -> Baseline:
        processes = frozenset((p.pid, p.info["create_time"]) for p in psutil.process_iter(["create_time"]))
        return cls(root, run_tmp, expected, processes, frozenset(_listening()))


def processes_left(base: Baseline) -> list[psutil.Process]:
    """Running processes the run started that are still there."""
    me = psutil.Process()
    descendants = {p.pid for p in me.children(recursive=True)}
    groups = {os.getpgid(0), *started_groups}
    found = []
    for p in psutil.process_iter(["create_time", "cwd", "cmdline", "status"]):
        info = p.info
        if p.pid == me.pid or (p.pid, info["create_time"]) in base.processes or info["status"] == psutil.STATUS_ZOMBIE:
            continue
        if p.pid in descendants or _group_of(p.pid) in groups or _in_run_folder(info["cwd"], info["cmdline"], base):
            found.append(p)
    return found


def _group_of(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except OSError:
        return None


def check(base: Baseline, grace: float = 15.0) -> list[str]:
    """One line per thing the run left behind (empty: nothing). Processes get ``grace`` seconds to finish
    exiting; those still there are then killed, so a failing run does not leave them running either."""
    deadline = time.monotonic() + grace
    left = processes_left(base)
    while left and time.monotonic() < deadline:
        time.sleep(0.5)
        left = processes_left(base)
    owners = {p.pid for p in left} | {os.getpid()}
    problems = [
        f"listening socket {address}:{port} (pid {pid}, {_describe(pid)})"
        for address, port, pid in _listening_owned(owners)
        if (address, port) not in base.listening
    ]
    for p in left:
        problems.append(f"process {p.pid}: {_describe(p.pid)}")
        with contextlib.suppress(psutil.Error):
            p.kill()
    if base.run_tmp.is_dir():
        problems += [
            f"temporary folder or file {entry}"
            for entry in sorted(base.run_tmp.iterdir())
            if entry.name not in base.expected and not entry.name.startswith(OWN_CLEANUP_PREFIXES)
        ]
    return problems


def _in_run_folder(cwd: str | None, cmdline: list[str] | None, base: Baseline) -> bool:
    if cwd and Path(cwd).is_relative_to(base.run_tmp):
        return True
    return str(base.run_tmp) in " ".join(cmdline or ())


def _listening() -> set[tuple[str, int]]:
    return {(a, p) for a, p, _ in _listening_owned(None)}


def _listening_owned(pids: set[int] | None) -> list[tuple[str, int, int | None]]:
    """Listening TCP sockets ``(address, port, pid)``, of the given processes only (``None``: all)."""
    return [
        (c.laddr.ip, c.laddr.port, c.pid)
        for c in psutil.net_connections(kind="tcp")
        if c.status == psutil.CONN_LISTEN and (pids is None or c.pid in pids)
    ]


def _describe(pid: int | None) -> str:
    if pid is None:
        return "unknown process"
    try:
        return " ".join(psutil.Process(pid).cmdline())[:200] or "?"
    except psutil.Error:
        return "exited"
