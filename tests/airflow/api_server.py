"""A real ``airflow api-server`` on 127.0.0.1 with connection testing enabled, in its own process group (its
uvicorn workers are stopped with it)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.emulator_client import free_port

AIRFLOW = str(Path(sys.executable).parent / "airflow")
USER, PASSWORD = "tester", "tester-password-0123"


class AirflowApiServer:
    """``airflow db migrate`` in a fresh ``home``, then ``airflow api-server -H 127.0.0.1``.

    :param all_admins: no login at all (``simple_auth_manager_all_admins``), for the browser test; otherwise
        one admin user, :data:`USER`, whose JWT :meth:`token` gets from ``POST /auth/token``.
    """

    def __init__(self, home: Path, *, all_admins: bool = False) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = home / "api-server.log"
        self.proc: subprocess.Popen[bytes] | None = None
        passwords = home / "passwords.json"
        passwords.write_text(json.dumps({USER: PASSWORD}))
        self.env = {
            **os.environ,
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
            "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": str(all_admins),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__BASE_URL": self.url,
            "AIRFLOW__API__WORKERS": "1",
        }
        self.env.pop("AIRFLOW__CORE__UNIT_TEST_MODE", None)

    def start(self, timeout: float = 180) -> AirflowApiServer:
        (self.home / "dags").mkdir(exist_ok=True)
        migrate = subprocess.run(
            [AIRFLOW, "db", "migrate"], env=self.env, capture_output=True, text=True, timeout=300
        )
        if migrate.returncode != 0:
            raise RuntimeError(f"airflow db migrate failed:\n{migrate.stdout[-3000:]}\n{migrate.stderr[-3000:]}")
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [AIRFLOW, "api-server", "-H", "127.0.0.1", "-p", str(self.port), "-w", "1"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if requests.get(f"{self.url}/api/v2/monitor/health", timeout=2).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.5)
        tail = self.log.read_text(errors="replace")[-4000:]
        self.stop()
        raise RuntimeError(f"airflow api-server did not answer within {timeout} s:\n{tail}")

    def token(self) -> str:
        response = requests.post(
            f"{self.url}/auth/token", json={"username": USER, "password": PASSWORD}, timeout=30
        )
        response.raise_for_status()
        return response.json()["access_token"]

    def stop(self) -> None:
        """SIGTERM to the whole process group, SIGKILL to what is left after 20 s."""
        if self.proc is None:
            return
        stop_group(self.proc)
        self.proc = None


def stop_group(proc: subprocess.Popen, grace: float = 20) -> None:
    """Stop a process started with ``start_new_session=True`` and every process of its group."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=grace)
    with contextlib.suppress(ProcessLookupError):  # workers may outlive the leader: end the group either way
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
