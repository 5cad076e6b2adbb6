"""Emulated Huawei DLI Flink job API (v1.0), token or AK/SK authenticated.

Quirks the client must survive, as documented or observed:

* batch delete answers 200 with a JSON *list*, one ``{"is_success": "true"|"false", "message"}`` per job in
  request order, ``is_success`` being a *string* there (the SDK types it ``str``) while detail and list
  answer a boolean;
* an id that does not exist fails the whole batch with HTTP 400 ``DLI.16001`` and nothing is deleted
  [INF: atomicity; ``DLI.16001`` at 400 is what terraform-provider-huaweicloud relies on];
* a job seeded with ``attrs.delete_error`` stays and is reported ``"is_success": "false"`` with that message
  (a per-job failure inside a successful answer);
* ids are integers: anything else in ``job_ids`` is HTTP 400 ``DLI.0001``; more than 100 ids too
  [INF: the real limit is undocumented];
* listing pages with ``limit`` (at most 100) and a row ``offset``; ``status``, ``name`` (substring),
  ``job_type``, ``queue_name`` and ``user_name`` filter, ``order`` sorts by creation.
"""

from __future__ import annotations

import itertools
import secrets
import threading
from typing import TYPE_CHECKING, Any

from airflow_provider_jobcleanup.emulator.http import Request, Response
from airflow_provider_jobcleanup.emulator.huawei_iam import iam
from airflow_provider_jobcleanup.emulator.store import EmulatedJob

if TYPE_CHECKING:
    from airflow_provider_jobcleanup.emulator.app import Emulator

SERVICE = "dli"
MAX_BATCH = 100
MAX_PAGE = 100
PREFIX = r"/v1\.0/(?P<project_id>[^/]+)/streaming/jobs"


def _error(status: int, code: str, message: str) -> Response:
    return Response(
        status, {"error_code": code, "error_msg": message}, headers={"X-Request-Id": secrets.token_hex(16)}
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class DliApi:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.store = emulator.store

    def _guard(self, request: Request) -> Response | None:
        return iam(self.emulator).authenticate(request, request.params["project_id"])

    def batch_delete(self, request: Request) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        body = request.json()
        ids = body.get("job_ids") if isinstance(body, dict) else None
        if not isinstance(ids, list) or not ids or not all(_is_int(i) for i in ids):
            return _error(
                400, "DLI.0001", "Parameter check errors occur: job_ids must be a non-empty list of integers."
            )
        if len(ids) > MAX_BATCH:
            return _error(
                400, "DLI.0001", f"Parameter check errors occur: at most {MAX_BATCH} job_ids per request."
            )
        with self.store.lock:
            jobs = []
            for job_id in ids:
                job = self.store.live(SERVICE, str(job_id))
                if job is None:
                    return _error(400, "DLI.16001", f"The job does not exist: {job_id}")
                jobs.append(job)
            results = []
            for job in jobs:
                failure = job.attrs.get("delete_error")
                if failure:
                    results.append({"is_success": "false", "message": str(failure)})
                elif job.deleted:  # the same id twice in one request
                    results.append({"is_success": "true", "message": "The job is deleted successfully."})
                else:
                    self.store.mark_deleted(job)
                    results.append({"is_success": "true", "message": "The job is deleted successfully."})
        return Response(200, results)

    def detail(self, request: Request) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        job_id = request.params["job_id"]
        if not job_id.isdigit():
            return _error(400, "DLI.0001", f"Parameter check errors occur: job_id {job_id} is not a number.")
        job = self.store.live(SERVICE, str(int(job_id)))
        if job is None:
            return _error(400, "DLI.16001", f"The job does not exist: {job_id}")
        return Response(
            200,
            {
                "is_success": True,
                "message": "Querying of the job details succeeds.",
                "job_detail": _render(job),
            },
        )

    def list(self, request: Request) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        query = request.query
        try:
            limit = int(query.get("limit", 10))
            offset = int(query.get("offset", 0))
        except ValueError:
            return _error(400, "DLI.0001", "Parameter check errors occur: limit and offset must be integers.")
        if not 0 <= limit <= MAX_PAGE or offset < 0:
            return _error(
                400, "DLI.0001", f"Parameter check errors occur: limit must be 0..{MAX_PAGE}, offset >= 0."
            )
        filters = {key: query.get(key) for key in ("status", "job_type", "queue_name", "user_name")}
        name = query.get("name")

        def keep(job: EmulatedJob) -> bool:
            view = {
                "status": job.state,
                **{k: job.attrs.get(k) for k in ("job_type", "queue_name", "user_name")},
            }
            return all(not want or view[key] == want for key, want in filters.items()) and (
                not name or name in job.name
            )

        jobs = sorted(self.store.select(SERVICE, keep), key=lambda j: (j.created_at, int(j.job_id)))
        if query.get("order", "desc") != "asc":
            jobs.reverse()
        window = jobs[offset : offset + limit]
        return Response(
            200,
            {
                "is_success": True,
                "message": "",
                "job_list": {"total_count": len(jobs), "jobs": [_render(j) for j in window]},
            },
        )


def _render(job: EmulatedJob) -> dict[str, Any]:
    created = int(job.created_at * 1000)
    return {
        "job_id": int(job.job_id),
        "name": job.name,
        "desc": job.attrs.get("desc", ""),
        "user_name": job.attrs.get("user_name", "demo-user"),
        "job_type": job.attrs.get("job_type", "flink_sql_job"),
        "status": job.state,
        "status_desc": job.attrs.get("status_desc", ""),
        "create_time": created,
        "start_time": created,
        "update_time": created,
        "queue_name": job.attrs.get("queue_name", "default"),
        "root_id": -1,
    }


def _seed_defaults(job: EmulatedJob) -> None:
    job.state = job.state or "job_running_exception"
    job.attrs.setdefault("job_type", "flink_sql_job")
    job.attrs.setdefault("queue_name", "default")
    job.attrs.setdefault("user_name", "demo-user")


def register(emulator: Emulator) -> None:
    api = DliApi(emulator)
    counter = itertools.count(10001)
    lock = threading.Lock()

    def next_id() -> str:
        with lock:
            return str(next(counter))

    emulator.id_factories[SERVICE] = next_id
    emulator.seed_defaults[SERVICE] = _seed_defaults
    add = emulator.router.add
    add("POST", PREFIX + r"/delete", api.batch_delete, name="dli.batch_delete", service=SERVICE)
    add("GET", PREFIX + r"/(?P<job_id>[^/]+)", api.detail, name="dli.detail", service=SERVICE)
    add("GET", PREFIX, api.list, name="dli.list", service=SERVICE)
