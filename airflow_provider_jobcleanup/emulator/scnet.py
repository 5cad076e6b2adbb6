"""Emulated SCNet (Sugon AC) HPC job API: center discovery, job managers, realtime/history lists, detail and
the ``strJobInfoMap`` batch delete.

Behaviour the client must cope with:

* every answer is HTTP 200 with a string ``code`` (``"0"`` success); errors keep HTTP 200 (see
  :mod:`.scnet_tokens` for the token codes; ``10003`` missing parameter, ``10004`` invalid parameter);
* the center lists a disabled ``hpcUrls`` entry before the enabled one, which points back at this emulator
  (derived from the request's ``Host`` header);
* two job managers (``1638523853``, ``1638523854``); seeded jobs carry ``attrs`` ``job_manager_id``, ``user``,
  ``queue`` (defaults: the first manager, the identity's compute user, ``debug``) and state ``statR``;
* delete reads ``jobMethod``/``strJobInfoMap`` from the query string, or a form body; when both carry a
  parameter their values are joined with ``,`` (Spring's binding of duplicates) and the request fails;
* the delete answer's ``data`` has one message per manager: ``jobManagerId : M, delete the jobs
  [u:1:u:2:] successfully!`` plus ``delete the jobs [u:3:] failed! reason: ...`` segments per failure reason
  (``Invalid job id specified``, ``Job/step already completing or completed``, ``Access/permission
  denied``) [INF: only the success shape is documented]; config ``scnet_terse_delete`` drops the job lists
  from the messages;
* an entry is deleted only when its user is the job's owner and the caller is that user, or an administrator
  (config ``scnet_admin``); any other entry is ``Access/permission denied`` [INF];
* deleted and finished jobs stay in the realtime list in a terminal state for ``scnet_linger_seconds``
  (default 300, as documented), and are in the history list from the moment they end;
* injected throttling is HTTP 429 with ``{"code":"429"}``; unavailability is an nginx-style HTML 503.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from airflow_provider_jobcleanup.emulator import scnet_tokens
from airflow_provider_jobcleanup.emulator.http import Request, Response
from airflow_provider_jobcleanup.emulator.scnet_tokens import code_error, ok
from airflow_provider_jobcleanup.emulator.store import EmulatedJob

if TYPE_CHECKING:
    from airflow_provider_jobcleanup.emulator.app import Emulator

SERVICE = "scnet"
MANAGERS = (
    {
        "id": 1638523853,
        "text": "slurm-a",
        "JobManagerType": "SLURM",
        "JobManagerAddr": "10.0.0.11",
        "JobManagerPort": "6817",
    },
    {
        "id": 1638523854,
        "text": "slurm-b",
        "JobManagerType": "SLURM",
        "JobManagerAddr": "10.0.0.12",
        "JobManagerPort": "6817",
    },
)
MANAGER_IDS = tuple(str(m["id"]) for m in MANAGERS)
TERMINAL = frozenset({"statC", "statE"})
MAX_LIMIT = 1000
BEIJING = timezone(timedelta(hours=8))
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
INVALID_JOB = "Invalid job id specified"
COMPLETED = "Job/step already completing or completed"
DENIED = "Access/permission denied"


def _fmt(epoch: float | None) -> str:
    return datetime.fromtimestamp(epoch, BEIJING).strftime(TIME_FORMAT) if epoch else ""


def _parse_time(text: str) -> float | None:
    try:
        return datetime.strptime(text.strip(), TIME_FORMAT).replace(tzinfo=BEIJING).timestamp()
    except ValueError:
        return None


class ScnetHpc:
    """Routes of the HPC job API and the center/cluster discovery."""

    def __init__(self, emulator: Emulator, tokens: scnet_tokens.ScnetTokens) -> None:
        self.emulator = emulator
        self.store = emulator.store
        self.tokens = tokens

    def _linger(self) -> float:
        return float(self.emulator.config.get("scnet_linger_seconds", 300))

    def _in_realtime(self, job: EmulatedJob, now: float) -> bool:
        ended = job.attrs.get("ended_at")
        return job.state not in TERMINAL or (ended is not None and now - float(ended) < self._linger())

    def _guarded(self, handler: Callable[[Request, scnet_tokens.IssuedToken], Response]):
        def route(request: Request) -> Response:
            issued, denied = self.tokens.check(request)
            if denied is not None or issued is None:
                return denied or code_error("10008", "invalid token")
            return handler(request, issued)

        return route

    # ------------------------------------------------------------------ discovery
    def center(self, request: Request, issued: scnet_tokens.IssuedToken) -> Response:
        base = f"http://{request.header('host') or '127.0.0.1'}"
        home = f"/public/home/{self.tokens.identity.compute_user}"
        region = {
            "id": issued.cluster_id,
            "name": issued.cluster_name,
            "hpcUrls": [
                {"url": "https://hpc-maintenance.invalid:65051", "enable": "false"},
                {"url": base, "enable": "true"},
            ],
            "efileUrls": [{"url": base, "enable": "true"}],
            "aiUrls": [],
            "clusterUserInfo": {"userName": self.tokens.identity.compute_user, "homePath": home},
        }
        return ok([region])

    def cluster(self, request: Request, issued: scnet_tokens.IssuedToken) -> Response:
        return ok([dict(m) for m in MANAGERS])

    # ------------------------------------------------------------------ lists
    def jobs(self, request: Request, issued: scnet_tokens.IssuedToken) -> Response:
        query = request.query
        manager = query.get("strClusterIDList")
        if not manager:
            return code_error("10003", "参数不全: strClusterIDList")
        if manager not in MANAGER_IDS:
            return code_error("10004", f"参数无效: unknown job manager {manager}")
        now = time.time()
        filters = {
            "job_id": query.get("strJobId"),
            "user": query.get("strJobOwner"),
            "state": query.get("strJobStat"),
            "queue": query.get("strQueueName"),
            "name": query.get("strJobName"),
        }

        def keep(job: EmulatedJob) -> bool:
            return (
                str(job.attrs.get("job_manager_id")) == manager
                and self._in_realtime(job, now)
                and _matches(job, filters)
            )

        return self._page(query, self.store.select(SERVICE, keep), _realtime_item)

    def history(self, request: Request, issued: scnet_tokens.IssuedToken) -> Response:
        query = request.query
        manager = query.get("strClusterNameList")
        if not manager or not query.get("startTime") or not query.get("endTime"):
            return code_error("10003", "参数不全: strClusterNameList, startTime and endTime are required")
        begin, end = _parse_time(query["startTime"]), _parse_time(query["endTime"])
        if begin is None or end is None:
            return code_error("10004", "参数无效: times must be yyyy-MM-dd HH:mm:ss")
        filters = {
            "job_id": query.get("jobId"),
            "user": query.get("strUser"),
            "state": query.get("jobState"),
            "queue": query.get("queue"),
            "name": query.get("jobName"),
        }

        def keep(job: EmulatedJob) -> bool:
            ended = job.attrs.get("ended_at")
            return (
                str(job.attrs.get("job_manager_id")) == manager
                and job.state in TERMINAL
                and ended is not None
                and begin <= float(ended) <= end
                and _matches(job, filters)
            )

        return self._page(query, self.store.select(SERVICE, keep), _history_item)

    @staticmethod
    def _page(
        query: dict[str, str], jobs: list[EmulatedJob], render: Callable[[EmulatedJob], dict]
    ) -> Response:
        try:
            start, limit = int(query.get("start", 0)), int(query.get("limit", 25))
        except ValueError:
            return code_error("10004", "参数无效: start and limit must be integers")
        if start < 0 or not 1 <= limit <= MAX_LIMIT:
            return code_error("10004", f"参数无效: start >= 0 and 1 <= limit <= {MAX_LIMIT}")
        jobs = sorted(jobs, key=_order, reverse=True)
        return ok({"total": len(jobs), "list": [render(j) for j in jobs[start : start + limit]]})

    def detail(self, request: Request, issued: scnet_tokens.IssuedToken) -> Response:
        manager = request.query.get("strJobManagerID")
        if not manager:
            return code_error("10003", "参数不全: strJobManagerID")
        job = self.store.get(SERVICE, request.params["job_id"])
        if (
            job is None
            or str(job.attrs.get("job_manager_id")) != manager
            or not self._in_realtime(job, time.time())
        ):
            return code_error("10004", f"作业不存在 (job {request.params['job_id']} does not exist)")
        return ok({**_realtime_item(job), "jobManagerId": manager, "workDir": job.attrs.get("work_dir", "~")})

    # ------------------------------------------------------------------ delete
    def delete(self, request: Request, issued: scnet_tokens.IssuedToken) -> Response:
        params = _merged_params(request)
        if params.get("jobMethod") != "5":
            return code_error("10004", f"参数无效: jobMethod {params.get('jobMethod')!r} (delete is 5)")
        raw = params.get("strJobInfoMap")
        if not raw:
            return code_error("10003", "参数不全: strJobInfoMap")
        entries = _parse_info_map(raw)
        if entries is None:
            return code_error(
                "10004", "参数无效: strJobInfoMap must be managerId,user:jobId: entries joined by ;"
            )
        caller = self.tokens.identity.compute_user
        # [INF] a scheduler administrator (config ``scnet_admin``) may cancel any user's jobs
        admin = bool(self.emulator.config.get("scnet_admin"))
        results: dict[str, dict[str, list[str]]] = {}
        now = time.time()
        with self.store.lock:
            for manager, user, job_id in entries:
                outcome = self._delete_one(manager, user, job_id, caller, admin, now)
                results.setdefault(manager, {}).setdefault(outcome, []).append(f"{user}:{job_id}:")
        terse = bool(self.emulator.config.get("scnet_terse_delete"))
        return ok({manager: _message(manager, outcomes, terse) for manager, outcomes in results.items()})

    def _delete_one(self, manager: str, user: str, job_id: str, caller: str, admin: bool, now: float) -> str:
        if manager not in MANAGER_IDS:
            return f"unknown job manager {manager}"
        job = self.store.get(SERVICE, job_id)
        if job is None or str(job.attrs.get("job_manager_id")) != manager or not self._in_realtime(job, now):
            return INVALID_JOB
        # the user of the entry must be the job's owner, and the caller that user (or an administrator)
        if job.attrs.get("user") != user or (user != caller and not admin):
            return DENIED
        if job.state in TERMINAL:
            return COMPLETED
        self.store.mark_deleted(job, keep_record=True, deleted_state="statE")
        job.attrs["ended_at"] = now
        job.attrs["reason"] = "cancelled through the API"
        return "ok"


def _order(job: EmulatedJob) -> tuple[int, str]:
    number = job.job_id.split("_")[0]
    return (int(number) if number.isdigit() else 0, job.job_id)


def _matches(job: EmulatedJob, filters: dict[str, str | None]) -> bool:
    return (
        (not filters["job_id"] or job.job_id == filters["job_id"])
        and (not filters["user"] or job.attrs.get("user") == filters["user"])
        and (not filters["state"] or job.state == filters["state"])
        and (not filters["queue"] or job.attrs.get("queue") == filters["queue"])
        and (not filters["name"] or filters["name"] in job.name)
    )


def _merged_params(request: Request) -> dict[str, str]:
    """Query and form-body parameters; a name present in both gets its values joined with ``,``."""
    values: dict[str, list[str]] = {}
    pairs = list(request.query_pairs)
    if "x-www-form-urlencoded" in (request.header("content-type") or ""):
        pairs += parse_qsl(request.body.decode(errors="replace"), keep_blank_values=True)
    for name, value in pairs:
        values.setdefault(name, []).append(value)
    return {name: ",".join(v) for name, v in values.items()}


def _parse_info_map(raw: str) -> list[tuple[str, str, str]] | None:
    entries = []
    for entry in raw.split(";"):
        if not entry:
            continue
        manager, sep, rest = entry.partition(",")
        parts = rest.split(":")
        if not sep or not manager.isdigit() or len(parts) != 3 or parts[2] or not parts[0] or not parts[1]:
            return None
        entries.append((manager, parts[0], parts[1]))
    return entries or None


def _message(manager: str, outcomes: dict[str, list[str]], terse: bool) -> str:
    if terse:
        return f"jobManagerId : {manager}, delete the jobs successfully!"
    parts = []
    if "ok" in outcomes:
        parts.append(f"delete the jobs [{''.join(outcomes['ok'])}] successfully!")
    for reason, jobs in outcomes.items():
        if reason != "ok":
            parts.append(f"delete the jobs [{''.join(jobs)}] failed! reason: {reason}")
    return f"jobManagerId : {manager}, " + " ".join(parts)


def _realtime_item(job: EmulatedJob) -> dict[str, Any]:
    return {
        "jobId": job.job_id,
        "jobName": job.name,
        "jobStatus": job.state,
        "queue": job.attrs.get("queue", "debug"),
        "user": job.attrs.get("user"),
        "jobmanagerId": str(job.attrs.get("job_manager_id")),
        "jobStartTime": _fmt(job.created_at),
        "jobRunTime": _run_time(job),
        "workDir": job.attrs.get("work_dir", f"/public/home/{job.attrs.get('user')}"),
        "reason": job.attrs.get("reason", "None"),
    }


def _history_item(job: EmulatedJob) -> dict[str, Any]:
    return {
        "jobId": job.job_id,
        "jobName": job.name,
        "jobState": job.state,
        "queue": job.attrs.get("queue", "debug"),
        "user": job.attrs.get("user"),
        "jobmanagerId": str(job.attrs.get("job_manager_id")),
        "jobStartTime": _fmt(job.created_at),
        "jobEndTime": _fmt(job.attrs.get("ended_at")),
        "acctTime": _fmt(job.attrs.get("ended_at")),
    }


def _run_time(job: EmulatedJob) -> str:
    end = float(job.attrs.get("ended_at") or time.time())
    seconds = max(0, int(end - job.created_at))
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _error_shape(request: Request, kind: str) -> Response:
    if kind == "throttle":
        return Response(429, {"code": "429", "msg": "Too Many Requests", "data": None})
    if kind == "unknown_code":
        return code_error("99999", "An error no client knows")
    html = (
        b"<html><head><title>503 Service Temporarily Unavailable</title></head><body><center>"
        b"<h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center></body></html>"
    )
    return Response(503, html, headers={"Content-Type": "text/html"})


def _seed_defaults(identity_user: str) -> Callable[[EmulatedJob], None]:
    def fill(job: EmulatedJob) -> None:
        job.state = job.state or "statR"
        job.attrs["job_manager_id"] = str(job.attrs.get("job_manager_id") or MANAGER_IDS[0])
        job.attrs.setdefault("user", identity_user)
        job.attrs.setdefault("queue", "debug")
        if job.state in TERMINAL:
            job.attrs.setdefault("ended_at", time.time())

    return fill


def register(emulator: Emulator) -> None:
    tokens = scnet_tokens.register(emulator)
    api = ScnetHpc(emulator, tokens)
    add = emulator.router.add
    add("GET", r"/ac/openapi/v2/center", api._guarded(api.center), name="scnet.center", service=SERVICE)
    add("GET", r"/hpc/openapi/v2/cluster", api._guarded(api.cluster), name="scnet.cluster", service=SERVICE)
    add("GET", r"/hpc/openapi/v2/jobs", api._guarded(api.jobs), name="scnet.jobs", service=SERVICE)
    add("DELETE", r"/hpc/openapi/v2/jobs", api._guarded(api.delete), name="scnet.delete", service=SERVICE)
    add(
        "GET",
        r"/hpc/openapi/v2/jobs/(?P<job_id>[^/]+)",
        api._guarded(api.detail),
        name="scnet.job_detail",
        service=SERVICE,
    )
    add(
        "GET",
        r"/hpc/openapi/v2/historyjobs",
        api._guarded(api.history),
        name="scnet.history",
        service=SERVICE,
    )
    counter = itertools.count(35900)
    lock = threading.Lock()

    def next_id() -> str:
        with lock:
            return str(next(counter))

    emulator.id_factories[SERVICE] = next_id
    emulator.seed_defaults[SERVICE] = _seed_defaults(tokens.identity.compute_user)
    emulator.error_shapes[SERVICE] = _error_shape
