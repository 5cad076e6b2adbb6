"""Emulated Huawei MRS job-execution API (v2).

Faithful to the quirks the client must survive: batch delete answers 200 with no body, and fails the whole
batch (atomically) with ``0176`` at HTTP 500 when a job does not exist or ``0183`` when one is running; job
detail answers 202 on success and ``0176`` at HTTP 400 when missing; an unknown cluster answers ``12000003``
under the ``errorCode`` key. [INF] The emulator caps a batch at 100 ids (the real limit is undocumented).
Listing pages with ``offset`` as a 1-based page number.

Clusters exist on their own: :data:`DEFAULT_CLUSTER_ID` from the start, others once created through
``POST /_emulator/clusters`` or by seeding a job with ``attrs.cluster_id``; deleting a cluster's last job
leaves it in place.
"""

from __future__ import annotations

import secrets
import uuid
from typing import TYPE_CHECKING, Any

from airflow_provider_jobcleanup.emulator.http import Request, Response
from airflow_provider_jobcleanup.emulator.huawei_iam import iam
from airflow_provider_jobcleanup.emulator.store import EmulatedJob

if TYPE_CHECKING:
    from airflow_provider_jobcleanup.emulator.app import Emulator

SERVICE = "mrs"
DEFAULT_CLUSTER_ID = "6a8c7f2e-1b3d-4e5f-8a9b-0c1d2e3f4a5b"
MAX_BATCH = 100
MAX_PAGE = 100
PREFIX = r"/v2/(?P<project_id>[^/]+)/clusters/(?P<cluster_id>[^/]+)/job-executions"


def _error(status: int, code: str, message: str, *, key_style: str = "snake") -> Response:
    body = (
        {"errorCode": code, "errorMsg": message} if key_style == "camel" else {"error_code": code, "error_msg": message}
    )
    return Response(status, body, headers={"X-Request-Id": secrets.token_hex(16)})


class MrsApi:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.store = emulator.store

    def _guard(self, request: Request) -> Response | None:
        denied = iam(self.emulator).authenticate(request, request.params["project_id"])
        if denied is not None:
            return denied
        cluster_id = request.params["cluster_id"]
        if not self.store.has_cluster(SERVICE, cluster_id):
            return _error(400, "12000003", f"The cluster {cluster_id} does not exist.", key_style="camel")
        return None

    def _job(self, request: Request, job_id: str) -> EmulatedJob | None:
        job = self.store.live(SERVICE, job_id)
        if job is None or job.attrs.get("cluster_id") != request.params["cluster_id"]:
            return None
        return job

    def batch_delete(self, request: Request) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        body = request.json()
        ids = body.get("job_id_list") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            return _error(400, "12000002", "job_id_list must be a non-empty list of job ids.")
        if len(ids) > MAX_BATCH:
            return _error(400, "12000002", f"job_id_list has {len(ids)} ids; at most {MAX_BATCH} are allowed.")
        with self.store.lock:
            jobs = []
            for job_id in ids:
                job = self._job(request, job_id)
                if job is None:
                    return _error(500, "0176", f"The job does not exist: {job_id}")
                if job.state in ("RUNNING", "ACCEPTED", "SUBMITTED"):
                    return _error(500, "0183", f"The job is running: {job_id}")
                jobs.append(job)
            for job in jobs:
                self.store.mark_deleted(job)
        return Response(200, None)

    def detail(self, request: Request) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        job = self._job(request, request.params["job_id"])
        if job is None:
            return _error(400, "0176", "The job does not exist.")
        return Response(202, {"job_detail": _render(job)})

    def kill(self, request: Request) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        job = self._job(request, request.params["job_id"])
        if job is None:
            return _error(500, "0176", "The job does not exist.")
        if job.state in ("RUNNING", "ACCEPTED", "SUBMITTED", "NEW"):
            job.state = "KILLED"
            job.attrs["job_result"] = "KILLED"
        return Response(200, None)

    def list(self, request: Request) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        query = request.query
        try:
            limit = int(query.get("limit", 10))
            page = int(query.get("offset", 1))
            begin = int(query["submitted_time_begin"]) if "submitted_time_begin" in query else None
            end = int(query["submitted_time_end"]) if "submitted_time_end" in query else None
        except ValueError:
            return _error(400, "12000002", "Invalid query parameter.")
        if not 1 <= limit <= MAX_PAGE or page < 1:
            return _error(400, "12000002", f"limit must be 1..{MAX_PAGE} and offset >= 1.")
        cluster_id = request.params["cluster_id"]
        state = query.get("job_state")
        name = query.get("job_name")

        def keep(job: EmulatedJob) -> bool:
            submitted = int(job.created_at * 1000)
            return (
                job.attrs.get("cluster_id") == cluster_id
                and (not state or job.state == state)
                and (not name or name in job.name)
                and (begin is None or submitted >= begin)
                and (end is None or submitted <= end)
            )

        jobs = sorted(
            self.store.select(SERVICE, keep), key=lambda j: j.created_at, reverse=query.get("sort_by") != "asc"
        )
        window = jobs[(page - 1) * limit : page * limit]
        return Response(200, {"total_record": len(jobs), "job_list": [_render(j) for j in window]})


def _render(job: EmulatedJob) -> dict[str, Any]:
    return {
        "job_id": job.job_id,
        "job_name": job.name,
        "job_state": job.state,
        "job_result": job.attrs.get("job_result", "FAILED" if job.state == "FAILED" else "UNDEFINED"),
        "job_type": job.attrs.get("job_type", "SparkSubmit"),
        "user": job.attrs.get("user", "demo-user"),
        "submitted_time": int(job.created_at * 1000),
        "queue": job.attrs.get("queue", "default"),
    }


def _seed_defaults(job: EmulatedJob) -> None:
    job.attrs.setdefault("cluster_id", DEFAULT_CLUSTER_ID)
    job.state = job.state or "FAILED"


def register(emulator: Emulator) -> None:
    api = MrsApi(emulator)
    emulator.id_factories[SERVICE] = lambda: str(uuid.uuid4())
    emulator.seed_defaults[SERVICE] = _seed_defaults
    emulator.cluster_attrs[SERVICE] = "cluster_id"
    emulator.store.define_clusters(SERVICE, [DEFAULT_CLUSTER_ID])
    add = emulator.router.add
    add("POST", PREFIX + r"/batch-delete", api.batch_delete, name="mrs.batch_delete", service=SERVICE)
    add("POST", PREFIX + r"/(?P<job_id>[^/]+)/kill", api.kill, name="mrs.kill", service=SERVICE)
    add("GET", PREFIX + r"/(?P<job_id>[^/]+)", api.detail, name="mrs.detail", service=SERVICE)
    add("GET", PREFIX, api.list, name="mrs.list", service=SERVICE)
