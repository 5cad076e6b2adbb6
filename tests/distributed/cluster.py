"""A distributed Airflow on 127.0.0.1: PostgreSQL (metadata database), Redis (Celery broker), the bundled
emulator, and Airflow's scheduler, DAG processor, API server, Celery workers and triggerers, each a process
of its own. Everything lives in one temporary directory, removed by :meth:`Cluster.stop`.

PostgreSQL refuses to run as root: when the harness runs as root, the server runs as the ``postgres`` system
user that Debian's package creates.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import psycopg2
import requests

from tests.distributed.processes import ProcessSet
from tests.emulator_client import EmulatorAdmin, free_port
from tests.profiles.alibaba import ehpc_connection
from tests.profiles.huawei import password_connection
from tests.profiles.scnet import scnet_password_connection

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DAGS = Path(__file__).resolve().parent / "dags"
T = TypeVar("T")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def wait_for(
    what: str, check: Callable[[], T], timeout: float, interval: float = 0.5, alive: Callable[[], None] | None = None
) -> T:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds, or at once when
    ``alive`` raises (a process of the cluster died)."""
    deadline = time.monotonic() + timeout
    while True:
        if alive is not None:
            alive()
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found (Debian package postgresql)")
    return Path(found[-1]).parent


class Cluster:
    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="jobcleanup-distributed-"))
        self.tmp.chmod(0o755)
        # PostgreSQL runs as its own user: it must be able to pass through the folders above (the test run's
        # own temporary folder is created 0700); traversal only, no listing
        for parent in self.tmp.parents:
            if parent == Path(tempfile.gettempdir()).parent or parent == Path("/"):
                break
            if parent.stat().st_uid == os.geteuid():
                parent.chmod(parent.stat().st_mode | 0o111)
        self.logs = self.tmp / "logs"
        self.logs.mkdir()
        self.logs.chmod(0o777)
        self.home = self.tmp / "airflow"
        self.home.mkdir()
        self.procs = ProcessSet(self.logs)
        self.pg_port, self.redis_port, self.api_port, self.emulator_port = (free_port() for _ in range(4))
        self.pg_password = secrets.token_hex(16)
        self.emulator_url = f"http://127.0.0.1:{self.emulator_port}"
        self.api_url = f"http://127.0.0.1:{self.api_port}"
        self.emulator = EmulatorAdmin(self.emulator_url)
        self.db: Any = None
        self._token: str | None = None
        self.env: dict[str, str] = {}

    # ------------------------------------------------------------------ infrastructure
    def start_postgres(self) -> None:
        pg = postgres_bin()
        data = self.tmp / "pgdata"
        user = "postgres" if os.geteuid() == 0 else None
        data.mkdir()
        pwfile = self.tmp / "pgpass"
        pwfile.write_text(self.pg_password)
        if user:
            shutil.chown(data, user, user)
            shutil.chown(pwfile, user, user)
        pwfile.chmod(0o600)
        subprocess.run(
            [str(pg / "initdb"), "-D", str(data), "-U", "airflow", f"--pwfile={pwfile}", "--auth=scram-sha-256"],
            check=True,
            capture_output=True,
            timeout=120,
            user=user,
            group=user,
            cwd=self.tmp,
        )
        pwfile.unlink()
        self.procs.start(
            "postgres",
            [
                str(pg / "postgres"),
                "-D",
                str(data),
                "-p",
                str(self.pg_port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                f"unix_socket_directories={data}",
                "-c",
                "max_connections=300",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ],
            {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"},
            user=user,
            stop_signal=signal.SIGINT,  # fast shutdown: SIGTERM would wait for every client to leave
        )

        def connect() -> Any:
            try:
                return psycopg2.connect(
                    host="127.0.0.1",
                    port=self.pg_port,
                    user="airflow",
                    password=self.pg_password,
                    dbname="postgres",
                    connect_timeout=3,
                )
            except psycopg2.OperationalError:
                return None

        conn = wait_for("PostgreSQL to accept connections", connect, 60)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("CREATE DATABASE airflow")
        conn.close()
        log(f"PostgreSQL {pg.parent.name} on 127.0.0.1:{self.pg_port}")

    def start_redis(self) -> None:
        data = self.tmp / "redis"
        data.mkdir()
        self.procs.start(
            "redis",
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(data),
                "--protected-mode",
                "yes",
            ],
            {"PATH": os.environ.get("PATH", "")},
        )

        def ping() -> bool:
            with contextlib.suppress(OSError):
                import socket

                with socket.create_connection(("127.0.0.1", self.redis_port), timeout=2) as sock:
                    sock.sendall(b"PING\r\n")
                    return sock.recv(64).startswith(b"+PONG")
            return False

        wait_for("Redis to answer", ping, 30)
        log(f"Redis on 127.0.0.1:{self.redis_port}")

    def start_emulator(self) -> None:
        self.procs.start(
            "emulator",
            [str(BIN / "jobcleanup-emulator"), "--host", "127.0.0.1", "--port", str(self.emulator_port)],
            {**os.environ, "PYTHONUNBUFFERED": "1"},
        )

        def healthy() -> bool:
            with contextlib.suppress(requests.RequestException):
                return requests.get(f"{self.emulator_url}/_emulator/health", timeout=2).ok
            return False

        wait_for("the emulator", healthy, 60)
        log(f"emulator on {self.emulator_url}")

    # ------------------------------------------------------------------ Airflow
    def airflow_env(self) -> dict[str, str]:
        from cryptography.fernet import Fernet

        sql = f"postgresql+psycopg2://airflow:{self.pg_password}@127.0.0.1:{self.pg_port}/airflow"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PYTEST")) and k != "PYTHONPATH"}
        env.update(
            {
                "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                "PYTHONUNBUFFERED": "1",
                "AIRFLOW_HOME": str(self.home),
                "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
                "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
                "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
                "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
                "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.api_url}/execution/",
                "AIRFLOW__CORE__PARALLELISM": "64",
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__PORT": str(self.api_port),
                "AIRFLOW__API__BASE_URL": self.api_url,
                "AIRFLOW__API__SECRET_KEY": secrets.token_hex(16),
                "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
                "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sql,
                "AIRFLOW__CELERY__BROKER_URL": f"redis://127.0.0.1:{self.redis_port}/0",
                "AIRFLOW__CELERY__RESULT_BACKEND": f"db+postgresql+psycopg2://airflow:{self.pg_password}"
                f"@127.0.0.1:{self.pg_port}/airflow",
                "AIRFLOW__CELERY__WORKER_CONCURRENCY": "4",
                # a task whose worker died is failed (and retried) 20 s after its last heartbeat
                "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "20",
                "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "3",
                # only the trigger's own deadline may end a deferred sensor here (the scheduler's separate
                # timeout check would hide whether the trigger kept it)
                "AIRFLOW__SCHEDULER__TRIGGER_TIMEOUT_CHECK_INTERVAL": "3600",
                # a triggerer is declared dead 15 s after its last heartbeat; its triggers then move
                "AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC": "2",
                "AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD": "15",
            }
        )
        for conn_id, spec in self.connections().items():
            env[f"AIRFLOW_CONN_{conn_id.upper()}"] = json.dumps(spec)
        return env

    def connections(self) -> dict[str, dict[str, Any]]:
        return {
            "dist_huaweicloud": password_connection(self.emulator_url),
            "dist_alibaba_ehpc": ehpc_connection(self.emulator_url),
            "dist_scnet": scnet_password_connection(self.emulator_url),
        }

    def airflow(self, *args: str) -> list[str]:
        return [str(BIN / "airflow"), *args]

    def start_airflow(self) -> None:
        self.env = self.airflow_env()
        started = time.monotonic()
        migrate = subprocess.run(
            self.airflow("db", "migrate"), env=self.env, capture_output=True, text=True, timeout=600
        )
        assert migrate.returncode == 0, migrate.stdout[-3000:] + migrate.stderr[-3000:]
        log(f"metadata database migrated in {time.monotonic() - started:.0f} s")
        self.db = psycopg2.connect(**self.dsn)
        self.db.autocommit = True
        start = self.procs.start
        start(
            "api-server",
            self.airflow("api-server", "--host", "127.0.0.1", "--port", str(self.api_port), "--workers", "2"),
            self.env,
        )
        start("scheduler", self.airflow("scheduler", "--skip-serve-logs"), self.env)
        start("dag-processor", self.airflow("dag-processor"), self.env)
        for worker in ("worker-1", "worker-2"):
            start(
                worker,
                self.airflow(
                    "celery",
                    "worker",
                    "--celery-hostname",
                    f"{worker}@%h",
                    "--skip-serve-logs",
                    "--without-gossip",
                    "--without-mingle",
                ),
                self.env,
            )

        def api_ready() -> bool:
            with contextlib.suppress(requests.RequestException):
                return requests.get(f"{self.api_url}/api/v2/monitor/health", timeout=3).ok
            return False

        self.wait("the API server", api_ready, 240)
        log(f"API server on {self.api_url}")

    def start_triggerer(self, name: str) -> int:
        """Start a triggerer and return its job id once it heartbeats."""
        known = {row[0] for row in self.query("SELECT id FROM job WHERE job_type = 'TriggererJob'")}
        self.procs.start(name, self.airflow("triggerer", "--skip-serve-logs"), self.env)
        job_id = self.wait(
            f"{name} to heartbeat",
            lambda: [
                row[0]
                for row in self.query("SELECT id FROM job WHERE job_type = 'TriggererJob' AND state = 'running'")
                if row[0] not in known
            ],
            180,
            interval=1,
        )[0]
        log(f"{name} running as triggerer job {job_id}")
        return job_id

    # ------------------------------------------------------------------ access
    @property
    def dsn(self) -> dict[str, Any]:
        return {
            "host": "127.0.0.1",
            "port": self.pg_port,
            "user": "airflow",
            "password": self.pg_password,
            "dbname": "airflow",
        }

    def check_alive(self) -> None:
        """Fail when a process that was not killed on purpose has exited."""
        for name, proc in self.procs.procs.items():
            if name not in self.procs.killed and proc.poll() is not None:
                raise AssertionError(f"{name} exited with {proc.returncode}:\n{self.procs.log_tail(name)}")

    def wait(self, what: str, check: Callable[[], T], timeout: float, interval: float = 1.0) -> T:
        return wait_for(what, check, timeout, interval, alive=self.check_alive)

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with self.db.cursor() as cur:
            cur.execute(sql, args)
            return cur.fetchall()

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        if self._token is None:
            got = requests.get(f"{self.api_url}/auth/token", timeout=30)
            got.raise_for_status()
            self._token = got.json()["access_token"]
        headers = {"Authorization": f"Bearer {self._token}"}
        return requests.request(method, f"{self.api_url}{path}", headers=headers, timeout=60, **kwargs)

    def trigger(self, dag_id: str, run_id: str, conf: dict[str, Any]) -> None:
        answer = self.api(
            "POST", f"/api/v2/dags/{dag_id}/dagRuns", json={"dag_run_id": run_id, "logical_date": None, "conf": conf}
        )
        assert answer.status_code in (200, 201), f"{dag_id}: {answer.status_code} {answer.text[:500]}"

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> Cluster:
        try:
            self.start_postgres()
            self.start_redis()
            self.start_emulator()
            self.start_airflow()
        except BaseException:
            self.dump_logs()
            self.stop()
            raise
        return self

    def dump_logs(self, names: list[str] | None = None, chars: int = 3000) -> None:
        for name in names or list(self.procs.procs):
            print(f"----- {name} (last {chars} characters) -----\n{self.procs.log_tail(name, chars)}", flush=True)

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            if self.db is not None:
                self.db.close()
        self.procs.stop_all()
        shutil.rmtree(self.tmp, ignore_errors=True)
        log("every process stopped, temporary directory removed")


@contextlib.contextmanager
def running_cluster() -> Iterator[Cluster]:
    cluster = Cluster().start()
    try:
        yield cluster
    finally:
        cluster.stop()
