"""Test-side client of the emulator's admin API, and a helper that runs the emulator as a real process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from typing import Any

import requests

from tests import processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EmulatorProcess:
    """``jobcleanup-emulator`` started as a subprocess on a free port of 127.0.0.1, in its own session."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> EmulatorProcess:
        module = "airflow_provider_jobcleanup.emulator"
        self.proc = processes.start(
            [sys.executable, "-m", module, "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # under mutation testing the emulator (which shares the signers) always runs the unmutated code
            env={**{k: v for k, v in os.environ.items() if k != "MUTANT_UNDER_TEST"}, "PYTHONUNBUFFERED": "1"},
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{self.url}/_emulator/health", timeout=1).ok:
                    return self
            except requests.ConnectionError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("emulator did not start within 30 s")

    def stop(self) -> None:
        if self.proc is not None:
            processes.stop(self.proc)
            self.proc = None


class EmulatorAdmin:
    """Seeds jobs, reads state and stats, injects faults."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()

    def _post(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.session.post(f"{self.url}{path}", json=body or {}, timeout=30)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        self._post("/_emulator/reset")

    def seed(self, service: str, count: int = 1, **spec: Any) -> list[str]:
        return self._post("/_emulator/jobs", {"service": service, "count": count, **spec})["job_ids"]

    def seed_jobs(self, service: str, jobs: list[dict[str, Any]]) -> list[str]:
        return self._post("/_emulator/jobs", {"service": service, "jobs": jobs})["job_ids"]

    def jobs(self, service: str) -> list[dict[str, Any]]:
        response = self.session.get(f"{self.url}/_emulator/jobs", params={"service": service}, timeout=30)
        response.raise_for_status()
        return response.json()["jobs"]

    def live_ids(self, service: str) -> set[str]:
        return {j["job_id"] for j in self.jobs(service) if j["deleted_at"] is None}

    def stats(self) -> dict[str, int]:
        response = self.session.get(f"{self.url}/_emulator/stats", timeout=30)
        response.raise_for_status()
        return response.json()["requests"]

    def faults(self, **config: Any) -> None:
        self._post("/_emulator/faults", config)

    def config(self, **values: Any) -> None:
        self._post("/_emulator/config", values)

    def expire_tokens(self, older_than: float = 0.0) -> None:
        """Every token issued so far stops working (``older_than``: only those issued that long ago)."""
        self._post("/_emulator/expire-tokens", {"older_than": older_than} if older_than else None)
