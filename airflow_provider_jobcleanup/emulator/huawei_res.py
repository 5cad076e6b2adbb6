"""Emulated Huawei RES (Recommender System) V1 job API, token or AK/SK authenticated.

* ``DELETE /v1/{project_id}/del-job`` with a JSON body ``{"job_id", "type", "offline_platform"}`` (seed 004):
  one job per call; ``offline_platform`` (``platform``, ``platform_parameter``) is required for the types
  etl, retrieval, filter and standard. Success: 200 ``{"is_success": true, "message": ...}``.
* Errors use RES's shape ``{"is_success": false, "error_code": "RES.xxxx", "error_msg": ...}`` with the
  documented statuses: ``RES.1001`` (400, invalid parameter; also used here for a job that does not exist or
  has another type [INF: the real code is undocumented]) and ``RES.1024`` (400, "operation on the job is
  forbidden") for a job still starting or computing, which the console refuses to delete [INF: the code].
* ``GET /v1/{project_id}/jobs/{job_id}``: ``{"is_success": true, "job": {...}}``; a missing job answers
  HTTP 200 with ``is_success: false`` and ``RES.1001`` [INF], so clients must read ``is_success``.
* ``GET /v1/{project_id}/jobs?type=...&current-page=&page-size=``: ``type`` required, pages 1-based,
  ``page-size`` at most 100 [INF], ``job-name`` (substring) and ``job-status`` filter;
  ``{"is_success": true, "jobs": [...], "total_items": n}``.

Job states are not documented; the emulator uses ``STARTING``/``RUNNING`` (not deletable) and
``SUCCEEDED``/``FAILED`` [INF]. ``operating_time`` is the creation time in epoch milliseconds [INF].
"""

from __future__ import annotations

import re
import secrets
import uuid
from typing import TYPE_CHECKING, Any

from airflow_provider_jobcleanup.emulator.http import Request, Response
from airflow_provider_jobcleanup.emulator.huawei_iam import iam
from airflow_provider_jobcleanup.emulator.store import EmulatedJob

if TYPE_CHECKING:
    from airflow_provider_jobcleanup.emulator.app import Emulator

SERVICE = "res"
TYPES = ("etl", "retrieval", "filter", "ranking", "nearline", "standard", "evaluation")
NEEDS_PLATFORM = ("etl", "retrieval", "filter", "standard")
BUSY_STATES = ("STARTING", "RUNNING")
MAX_PAGE = 100
JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
PREFIX = r"/v1/(?P<project_id>[^/]+)"


def _error(status: int, code: str, message: str) -> Response:
    return Response(
        status,
        {"is_success": False, "error_code": code, "error_msg": message},
        headers={"X-Request-Id": secrets.token_hex(16)},
    )


def _invalid(name: str, detail: str = "") -> Response:
    return _error(
        400,
        "RES.1001",
        f"The value of request parameter ({name}) is invalid{': ' + detail if detail else ''}",
    )


class ResApi:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.store = emulator.store

    def _guard(self, request: Request) -> Response | None:
        return iam(self.emulator).authenticate(request, request.params["project_id"])

    def delete(self, request: Request) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        body = request.json()
        if not isinstance(body, dict):
            return _invalid("body", "a JSON object is required")
        job_id, job_type, platform = body.get("job_id"), body.get("type"), body.get("offline_platform")
        if not isinstance(job_id, str) or not JOB_ID.fullmatch(job_id):
            return _invalid("job_id")
        if job_type not in TYPES:
            return _invalid("type")
        if job_type in NEEDS_PLATFORM and not (
            isinstance(platform, dict)
            and isinstance(platform.get("platform"), str)
            and isinstance(platform.get("platform_parameter"), dict)
        ):
            return _invalid("offline_platform", f"required for type {job_type}")
        with self.store.lock:
            job = self.store.live(SERVICE, job_id)
            if job is None or job.attrs.get("type") != job_type:
                return _invalid("job_id", f"job {job_id} of type {job_type} does not exist")
            if job.state in BUSY_STATES:
                return _error(
                    400, "RES.1024", f"Operation on the job ({job_id}) is forbidden: it is {job.state}"
                )
            self.store.mark_deleted(job)
        return Response(200, {"is_success": True, "message": "Succeed to delete train log."})

    def detail(self, request: Request) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        job_id = request.params["job_id"]
        job = self.store.live(SERVICE, job_id)
        if job is None:
            return Response(
                200,
                {"is_success": False, "error_code": "RES.1001", "error_msg": f"job {job_id} does not exist"},
            )
        return Response(200, {"is_success": True, "job": _render(job)})

    def list(self, request: Request) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        query = request.query
        job_type = query.get("type")
        if job_type not in TYPES:
            return _invalid("type")
        try:
            page = int(query.get("current-page", 1))
            size = int(query.get("page-size", 10))
        except ValueError:
            return _invalid("current-page/page-size")
        if page < 1 or not 1 <= size <= MAX_PAGE:
            return _invalid("current-page/page-size", f"pages start at 1, page-size is 1..{MAX_PAGE}")
        name, status = query.get("job-name"), query.get("job-status")

        def keep(job: EmulatedJob) -> bool:
            return (
                job.attrs.get("type") == job_type
                and (not name or name in job.name)
                and (not status or job.state == status)
            )

        jobs = sorted(self.store.select(SERVICE, keep), key=lambda j: j.created_at, reverse=True)
        window = jobs[(page - 1) * size : page * size]
        return Response(
            200, {"is_success": True, "jobs": [_render(j) for j in window], "total_items": len(jobs)}
        )


def _render(job: EmulatedJob) -> dict[str, Any]:
    return {
        "job_id": job.job_id,
        "job_name": job.name,
        "job_status": job.state,
        "type": job.attrs.get("type"),
        "operating_time": int(job.created_at * 1000),
        "resource": job.attrs.get("resource", "res_one"),
        "is_use": False,
    }


def _seed_defaults(job: EmulatedJob) -> None:
    job.state = job.state or "FAILED"
    job.attrs.setdefault("type", "etl")


def register(emulator: Emulator) -> None:
    api = ResApi(emulator)
    emulator.id_factories[SERVICE] = lambda: uuid.uuid4().hex
    emulator.seed_defaults[SERVICE] = _seed_defaults
    add = emulator.router.add
    add("DELETE", PREFIX + r"/del-job", api.delete, name="res.delete", service=SERVICE)
    add("GET", PREFIX + r"/jobs/(?P<job_id>[^/]+)", api.detail, name="res.detail", service=SERVICE)
    add("GET", PREFIX + r"/jobs", api.list, name="res.list", service=SERVICE)
