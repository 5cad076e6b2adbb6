"""The emulator as a real process: ``jobcleanup-emulator`` on 127.0.0.1, in its own process group."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import IO, Any

import requests

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (for servers that cannot report the port they bound)."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class EmulatorProcess:
    """``python -m airflow_provider_jobcleanup.emulator`` started on 127.0.0.1 and a port the OS picks.

    The process runs in a new session (its own process group); :meth:`stop` ends the whole group. Usable as a
    context manager::

        with EmulatorProcess() as emulator:
            print(emulator.url)
    """

    def __init__(self) -> None:
        self.url = ""
        self.port = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> EmulatorProcess:
        """Start the process and wait (at most 30 s) until it answers its health check."""
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (the emulator's stderr, closed by stop())
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "airflow_provider_jobcleanup.emulator", "--host", HOST, "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=self._log,
            # mutmut's switch stays with the code under test: the emulator (which verifies signatures with the
            # same signers) always runs the unmutated code
            env={**{k: v for k, v in os.environ.items() if k != "MUTANT_UNDER_TEST"}, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,
        )
        try:
            self.url = self._read_url(time.monotonic() + START_TIMEOUT)
            self.port = int(self.url.rsplit(":", 1)[1])
            self._wait_healthy(time.monotonic() + START_TIMEOUT)
        except BaseException:
            self.stop()
            raise
        return self

    def _read_url(self, deadline: float) -> str:
        """The URL from the first line the emulator prints (``... listening on http://127.0.0.1:PORT``)."""
        assert self.proc is not None and self.proc.stdout is not None
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                break
            line = self.proc.stdout.readline().decode(errors="replace").strip()
            if not line:  # end of output: the process exited
                break
            if " listening on " in line:
                return line.rsplit(" ", 1)[1]
        raise RuntimeError(f"the emulator did not start within {START_TIMEOUT:.0f} s{self._stderr_tail()}")

    def _wait_healthy(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/_emulator/health", timeout=1).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"the emulator at {self.url} did not answer within {START_TIMEOUT:.0f} s")

    def _stderr_tail(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        text = self._log.read().decode(errors="replace").strip()
        return f":\n{text[-2000:]}" if text else ""

    def stop(self) -> None:
        """End the process group (SIGTERM, then SIGKILL after 10 s) and reap the process."""
        proc, self.proc = self.proc, None
        if proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=STOP_TIMEOUT)
            if proc.stdout is not None:
                proc.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
