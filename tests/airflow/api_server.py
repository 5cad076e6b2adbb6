"""A real ``airflow api-server`` on 127.0.0.1 with connection testing enabled, in its own process group (its
uvicorn workers are stopped with it, see :mod:`tests.processes`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests import processes
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
            self.proc = processes.start(
                [AIRFLOW, "api-server", "-H", "127.0.0.1", "-p", str(self.port), "-w", "1"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
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
        """SIGTERM to the whole process group, SIGKILL to what is left (:func:`tests.processes.stop`)."""
        if self.proc is not None:
            processes.stop(self.proc, timeout=20)
            self.proc = None
