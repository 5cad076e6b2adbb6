"""The emulator: one HTTP server, every service's routes, admin endpoints, stats and fault injection.

Admin endpoints (never faulted, never authenticated):

* ``POST /_emulator/jobs``: seed jobs: ``{"service": "mrs", "jobs": [{...}]}`` or
  ``{"service": "mrs", "count": 10, "state": "FAILED", "name": "etl", "age_seconds": 0, "attrs": {...}}``;
  answers ``{"job_ids": [...]}``. A job seeded into a cluster that does not exist yet creates it.
* ``GET /_emulator/jobs?service=mrs``: every job, deleted ones included (``deleted_at``, ``delete_count``).
* ``POST /_emulator/clusters``: create the places jobs live in, ``{"service": "mrs", "ids": ["c-1"]}`` (MRS
  cluster ids) or ``{"service": "ehpc", "ids": ["cn-shanghai"]}`` (E-HPC regions); they exist until a reset,
  with or without jobs. ``GET /_emulator/clusters``: every service's clusters.
* ``GET /_emulator/stats``: request counts per route and per service, injected faults.
* ``POST /_emulator/faults``: fault rates (see :class:`FaultConfig`).
* ``POST /_emulator/config``: runtime settings such as ``{"huawei_token_ttl": 2}`` or ``{"latency_ms": 30}``
  (every service request, never an admin one, is answered that many milliseconds late: a network round trip;
  the server runs one thread per connection, so a delayed answer holds up no other request).
* ``POST /_emulator/expire-tokens``: every token issued so far stops working now.
* ``POST /_emulator/reset``: forget jobs, tokens, stats, faults and config (the latency returns to the one the
  emulator was started with).
* ``GET /_emulator/health``.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_jobcleanup.emulator.credentials import Credentials, default_credentials
from airflow_provider_jobcleanup.emulator.faults import FaultConfig, FaultInjector
from airflow_provider_jobcleanup.emulator.http import Request, Response, Router
from airflow_provider_jobcleanup.emulator.store import EmulatedJob, JobStore
from airflow_provider_jobcleanup.specs import SERVICES

log = logging.getLogger(__name__)

#: modules that serve several services (the Huawei IAM token service and AK/SK signature check)
SHARED_MODULES = (
    "airflow_provider_jobcleanup.emulator.huawei_iam",
    "airflow_provider_jobcleanup.emulator.huawei_signing",
)
#: modules with ``register(emulator)``: the shared ones, then one per declared service (same module name as
#: its hook)
SERVICE_MODULES = SHARED_MODULES + tuple(dict.fromkeys(spec.emulator_module for spec in SERVICES.values()))

ErrorShape = Callable[[Request, str], Response]


def huawei_gateway_error(request: Request, kind: str) -> Response:
    """The API gateway's answers shared by the Huawei services."""
    if kind == "throttle":
        return Response(429, {"error_code": "APIGW.0308", "error_msg": "The throttling threshold has been reached"})
    if kind == "unknown_code":
        return Response(400, {"error_code": "EMU.9999", "error_msg": "An error no client knows"})
    return Response(503, {"error_code": "APIGW.0203", "error_msg": "Service unavailable"})


class Emulator:
    """State and routing of the emulator; :meth:`handle` is called once per request."""

    def __init__(self, credentials: Credentials | None = None, *, latency_ms: float = 0.0) -> None:
        self.credentials = credentials or default_credentials()
        #: the per-request delay when the config does not set ``latency_ms`` (``--latency-ms``)
        self.default_latency_ms = _latency_ms(latency_ms)
        self.store = JobStore()
        self.faults = FaultInjector()
        self.router = Router()
        self.config: dict[str, Any] = {}
        self.stats: Counter[str] = Counter()
        self._stats_lock = threading.Lock()
        #: service -> function building its throttle/unavailable answers (default: Huawei API gateway)
        self.error_shapes: dict[str, ErrorShape] = {}
        #: service -> function making a new job id for seeding
        self.id_factories: dict[str, Callable[[], str]] = {}
        #: service -> function filling default attrs of a seeded job
        self.seed_defaults: dict[str, Callable[[EmulatedJob], None]] = {}
        #: service -> the attrs key naming the cluster a job lives in (MRS ``cluster_id``, E-HPC ``region``)
        self.cluster_attrs: dict[str, str] = {}
        #: callbacks run by ``/_emulator/reset`` and ``/_emulator/expire-tokens``
        self.on_reset: list[Callable[[], None]] = []
        self.on_expire_tokens: list[Callable[..., None]] = []
        #: per-family shared state (token registries...), keyed by module
        self.extensions: dict[str, Any] = {}
        self._register_admin()
        for module in SERVICE_MODULES:
            importlib.import_module(module).register(self)

    # ------------------------------------------------------------------ request handling
    def handle(self, request: Request) -> tuple[Response, str | None]:
        """Route one request; returns the answer and the fault to apply at the socket level, if any."""
        found = self.router.match(request.method, request.path)
        if found is None or found[0].service != "admin":
            self._network_delay()
        if found is None:
            self.count("unrouted")
            return Response(
                404, {"error_code": "EMU.404", "error_msg": f"no route {request.method} {request.path}"}
            ), None
        route, params = found
        request.params = params
        if route.service != "admin":
            self.count(route.name, route.service)
        fault = self.faults.pick(route.service) if route.faultable else None
        if fault in ("throttle", "unavailable", "unknown_code"):
            shape = self.error_shapes.get(route.service, huawei_gateway_error)
            response = shape(request, fault)
            if fault != "unknown_code":
                response.headers.setdefault("Retry-After", _retry_after_text(self.faults.config.retry_after))
            return response, None
        if fault == "reset":
            return Response(500), "reset"
        if fault == "slow":
            time.sleep(self.faults.config.slow_seconds)
        try:
            response = route.handler(request)
        except Exception as err:  # an emulator bug must show as a 500, not a hung client
            log.exception("emulator handler %s failed", route.name)
            response = Response(500, {"error_code": "EMU.500", "error_msg": f"emulator error: {err}"})
        return response, ("reset" if fault == "lost_response" else None)

    def _network_delay(self) -> None:
        """Sleep ``latency_ms`` in this request's own thread: other connections are served meanwhile."""
        delay = float(self.config.get("latency_ms", self.default_latency_ms)) / 1000
        if delay > 0:
            time.sleep(delay)

    def count(self, name: str, service: str | None = None) -> None:
        with self._stats_lock:
            self.stats[name] += 1
            if service:
                self.stats[f"service:{service}"] += 1
            self.stats["total"] += 1

    # ------------------------------------------------------------------ seeding
    def seed(self, service: str, spec: dict[str, Any]) -> list[str]:
        if service not in self.id_factories:
            raise ValueError(f"unknown service {service!r}; known: {sorted(self.id_factories)}")
        now = time.time()
        entries = spec.get("jobs")
        if entries is None:
            count = int(spec.get("count", 1))
            entries = [
                {
                    "name": f"{spec.get('name', service + '-job')}-{i}",
                    "state": spec.get("state", ""),
                    "age_seconds": spec.get("age_seconds", 0),
                    "attrs": dict(spec.get("attrs", {})),
                }
                for i in range(count)
            ]
        ids = []
        for entry in entries:
            job = EmulatedJob(
                service=service,
                job_id=str(entry.get("job_id") or self.id_factories[service]()),
                name=entry.get("name", ""),
                state=entry.get("state", ""),
                created_at=float(entry.get("created_at", now - float(entry.get("age_seconds", 0)))),
                attrs=dict(entry.get("attrs", {})),
            )
            if service in self.seed_defaults:
                self.seed_defaults[service](job)
            if service in self.cluster_attrs:
                self.store.add_clusters(service, [job.attrs[self.cluster_attrs[service]]])
            self.store.add(job)
            ids.append(job.job_id)
        return ids

    # ------------------------------------------------------------------ admin API
    def _register_admin(self) -> None:
        add = self.router.add
        add(
            "GET",
            r"/_emulator/health",
            lambda r: Response(200, {"status": "ok"}),
            name="admin",
            service="admin",
            faultable=False,
        )
        add("POST", r"/_emulator/jobs", self._admin_seed, name="admin", service="admin", faultable=False)
        add("GET", r"/_emulator/jobs", self._admin_jobs, name="admin", service="admin", faultable=False)
        add("POST", r"/_emulator/clusters", self._admin_add_clusters, name="admin", service="admin", faultable=False)
        add("GET", r"/_emulator/clusters", self._admin_clusters, name="admin", service="admin", faultable=False)
        add("GET", r"/_emulator/stats", self._admin_stats, name="admin", service="admin", faultable=False)
        add("POST", r"/_emulator/faults", self._admin_faults, name="admin", service="admin", faultable=False)
        add("POST", r"/_emulator/config", self._admin_config, name="admin", service="admin", faultable=False)
        add("POST", r"/_emulator/expire-tokens", self._admin_expire, name="admin", service="admin", faultable=False)
        add("POST", r"/_emulator/reset", self._admin_reset, name="admin", service="admin", faultable=False)

    def _admin_seed(self, request: Request) -> Response:
        body = request.json() or {}
        try:
            ids = self.seed(str(body.get("service")), body)
        except (ValueError, TypeError) as err:
            return Response(400, {"error": str(err)})
        return Response(200, {"job_ids": ids})

    def _admin_jobs(self, request: Request) -> Response:
        return Response(200, {"jobs": self.store.snapshot(request.query.get("service") or None)})

    def _admin_add_clusters(self, request: Request) -> Response:
        body = request.json() or {}
        ids = body.get("ids")
        if not isinstance(ids, list):
            return Response(400, {"error": "ids must be a list of cluster ids (MRS) or regions (E-HPC)"})
        try:
            clusters = self.store.add_clusters(str(body.get("service")), ids)
        except ValueError as err:
            return Response(400, {"error": str(err)})
        return Response(200, {"clusters": clusters})

    def _admin_clusters(self, request: Request) -> Response:
        return Response(200, {"clusters": self.store.clusters()})

    def _admin_stats(self, request: Request) -> Response:
        with self._stats_lock:
            stats = dict(self.stats)
        return Response(200, {"requests": stats, "faults": dict(self.faults.injected)})

    def _admin_faults(self, request: Request) -> Response:
        try:
            self.faults.configure(FaultConfig.from_dict(request.json() or {}))
        except (TypeError, ValueError) as err:
            return Response(400, {"error": str(err)})
        return Response(200, {"faults": self.faults.config.__dict__})

    def _admin_config(self, request: Request) -> Response:
        values = dict(request.json() or {})
        if "latency_ms" in values:
            try:
                values["latency_ms"] = _latency_ms(values["latency_ms"])
            except (TypeError, ValueError) as err:
                return Response(400, {"error": str(err)})
        self.config.update(values)
        return Response(200, {"config": self.config})

    def _admin_expire(self, request: Request) -> Response:
        # ``{"older_than": s}`` expires only tokens issued at least ``s`` seconds ago (added for chaos runs: a
        # token that has been in use expires mid-run, never one the client obtained a millisecond ago)
        older_than = float((request.json() or {}).get("older_than") or 0.0)
        for callback in self.on_expire_tokens:
            callback(older_than) if older_than > 0 else callback()
        return Response(200, {"expired": True})

    def _admin_reset(self, request: Request) -> Response:
        self.store.clear()
        self.config.clear()
        self.faults.configure(FaultConfig())
        self.faults.injected.clear()
        with self._stats_lock:
            self.stats.clear()
        for callback in self.on_reset:
            callback()
        return Response(200, {"reset": True})


def _latency_ms(value: Any) -> float:
    """A per-request delay in milliseconds: a number from 0 to 60,000."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 60_000:
        raise ValueError(f"latency_ms must be a number of milliseconds from 0 to 60000, not {value!r}")
    return float(value)


def _retry_after_text(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:.3f}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY: the headers and the body go out in two writes; with Nagle on, the body waits for the
    # client's delayed ACK (~40 ms on Linux), so every answer with a body took >= 40 ms on a kept-alive
    # connection (found by benchmarks/throughput.py: DLI/E-HPC/SCNet calls at ~45 ms vs MRS's empty 2xx at 2 ms).
    disable_nagle_algorithm = True
    emulator: Emulator  # set on the subclass made per server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=parts.path,
            raw_query=parts.query,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        response, socket_fault = self.emulator.handle(request)
        if socket_fault == "reset":
            self._reset_connection()
            return
        payload = response.encoded()
        self.send_response(response.status)
        headers = {"Content-Type": "application/json", **response.headers}
        if not payload:
            headers.pop("Content-Type", None)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    def _reset_connection(self) -> None:
        """Close with RST so the client sees a connection reset, not a clean close."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _serve

    def log_message(self, format: str, *args: Any) -> None:  # quiet: stats endpoint tells what happened
        log.debug("emulator: " + format, *args)


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def make_server(
    host: str = "127.0.0.1", port: int = 0, emulator: Emulator | None = None, *, latency_ms: float = 0.0
) -> EmulatorServer:
    emulator = emulator or Emulator(latency_ms=latency_ms)
    handler = type("EmulatorHandler", (_Handler,), {"emulator": emulator})
    server = EmulatorServer((host, port), handler)
    server.emulator = emulator  # type: ignore[attr-defined]
    return server


def start_in_thread(host: str = "127.0.0.1", port: int = 0) -> tuple[EmulatorServer, str]:
    """Start a server in a daemon thread; returns it and its base URL (``server.shutdown()`` stops it)."""
    server = make_server(host, port)
    thread = threading.Thread(target=server.serve_forever, name="jobcleanup-emulator", daemon=True)
    thread.start()
    return server, server_url(server)


def server_url(server: EmulatorServer) -> str:
    """``http://host:port`` the server is bound to."""
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}"
