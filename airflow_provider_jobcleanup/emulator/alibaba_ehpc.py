"""Emulated Alibaba Cloud E-HPC Instant API (2023-07-01): DeleteJobs, GetJob, ListJobs, ListExecutors.

RPC style as the real service: ``POST /`` with the action in ``x-acs-action``, business parameters in the
query string (arrays and objects as JSON strings), ACS3-HMAC-SHA256 signatures recomputed and checked
(wrong secret ``SignatureDoesNotMatch``, unknown key ``InvalidAccessKeyId.NotFound``, stale ``x-acs-date``
``InvalidTimeStamp.Expired``, replayed nonce ``SignatureNonceUsed``), errors as
``{"RequestId","HostId","Code","Message","Recommend"}``, throttling as ``Throttling.User`` with an
``x-acs-retry-after`` header in milliseconds.

Jobs keep their record after deletion with status ``Deleted``. A job's tasks and array executors live in
``attrs["tasks"]`` as ``{task_name: {array_index: executor_status}}``; seeding accepts ``{"task0": 250}`` (an
array of 250) or ``{"task0": [0, 3]}`` too. Assumptions marked [INF] in the code are not documented behaviour.

Regions: the real service has one endpoint per region (``ehpcinstant.{region}.aliyuncs.com``); here the
region is a path prefix on the one port, ``POST /regions/{region}/`` (``POST /`` is :data:`DEFAULT_REGION`).
A request sees only its region's jobs (``attrs.region``, default :data:`DEFAULT_REGION`). Regions exist on
their own: the default from the start, others once created through ``POST /_emulator/clusters`` or by seeding
a job there; an unknown region answers ``InvalidRegionId``.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
import string
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from airflow_provider_jobcleanup.auth import alibaba_acs3 as acs3
from airflow_provider_jobcleanup.emulator.http import Request, Response
from airflow_provider_jobcleanup.emulator.store import EmulatedJob

if TYPE_CHECKING:
    from airflow_provider_jobcleanup.emulator.app import Emulator

SERVICE = "ehpc"
DEFAULT_REGION = "cn-hangzhou"
VERSION = "2023-07-01"
MAX_SKEW_SECONDS = 900
MAX_IDS = 100  # ExecutorIds (documented); JobSpec and Filter.JobIds [INF]
MAX_PAGE_SIZE = 100
DELETED = "Deleted"
SCHEDULERS = ("HPC", "K8S")
#: region-local time of the emulated (mainland China) region, used by CreateTime and TimeCreated* filters
REGION_TZ = timezone(timedelta(hours=8))
REQUIRED_SIGNED = (
    "host",
    "x-acs-action",
    "x-acs-version",
    "x-acs-date",
    "x-acs-signature-nonce",
    "x-acs-content-sha256",
)
EXECUTOR_ID = re.compile(r"(job-[A-Za-z0-9]+)-(.+)-(\d+)")


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    request_id = str(uuid.uuid4()).upper()
    body = {
        "RequestId": request_id,
        "HostId": "ehpcinstant.cn-hangzhou.aliyuncs.com",
        "Code": code,
        "Message": message,
        "Recommend": f"https://api.aliyun.com/troubleshoot?q={code}&product=EhpcInstant",
    }
    return Response(status, body, headers={"x-acs-request-id": request_id, **(headers or {})})


def _invalid(name: str) -> Response:
    return _error(400, "InvalidParams", f"The specified parameter {name} is invalid.")


def _ok(body: dict[str, Any] | None = None) -> Response:
    request_id = str(uuid.uuid4()).upper()
    return Response(200, {"RequestId": request_id, **(body or {})}, headers={"x-acs-request-id": request_id})


def _local_time(epoch: float | None) -> str:
    """``YYYY-MM-DD HH:MM:SS`` in region-local time [INF: the docs show no format or zone]."""
    return "" if epoch is None else datetime.fromtimestamp(epoch, REGION_TZ).strftime("%Y-%m-%d %H:%M:%S")


def _json_param(query: dict[str, str], name: str, kind: type) -> Any:
    """A JSON-string parameter; raises ``ValueError`` naming it when it is not the expected JSON type."""
    raw = query.get(name)
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        raise ValueError(name) from None
    if not isinstance(value, kind):
        raise ValueError(name)
    return value


def _timestamp(flt: dict[str, Any], name: str) -> int | None:
    value = flt.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"Filter.{name}")
    return value


def _page(query: dict[str, str]) -> tuple[int, int]:
    number, size = query.get("PageNumber", "1"), query.get("PageSize", "50")
    if not number.isdigit() or int(number) < 1:
        raise ValueError("PageNumber")
    if not size.isdigit() or not 1 <= int(size) <= MAX_PAGE_SIZE:
        raise ValueError("PageSize")
    return int(number), int(size)


class Signatures:
    """Checks ACS3 signatures; remembers nonces for the allowed clock skew."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self._nonces: dict[str, float] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._nonces.clear()

    def check(self, request: Request) -> Response | None:
        fields = acs3.parse_authorization(request.header("authorization") or "")
        if fields is None:
            return _error(
                400, "IncompleteSignature", "The request signature does not conform to Aliyun standards."
            )
        identity = self.emulator.credentials.alibaba
        access_key = fields["Credential"]
        if access_key == identity.access_key_id:
            secret = identity.access_key_secret
        elif access_key == identity.sts_access_key_id:
            secret = identity.sts_access_key_secret
            if request.header("x-acs-security-token") != identity.security_token:
                return _error(
                    400,
                    "InvalidSecurityToken.MismatchWithAccessKey",
                    "Specified SecurityToken mismatch with the AccessKey.",
                )
        else:
            return _error(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        signed = fields["SignedHeaders"].split(";")
        present = {name: request.header(name) for name in signed}
        needed = set(REQUIRED_SIGNED) | {h for h in request.headers if h.startswith("x-acs-")}
        if not needed <= set(signed) or any(v is None for v in present.values()):
            return _error(
                400, "IncompleteSignature", "The request signature does not conform to Aliyun standards."
            )
        if (denied := self._check_date_and_nonce(request)) is not None:
            return denied
        payload = acs3.body_sha256(request.body)
        text, _ = acs3.string_to_sign(
            request.method,
            request.path,
            request.query_pairs,
            {k: str(v) for k, v in present.items()},
            payload,
        )
        expected = acs3.signature(secret, text)
        if request.header("x-acs-content-sha256") != payload or not hmac.compare_digest(
            expected, fields["Signature"]
        ):
            return _error(
                400, "SignatureDoesNotMatch", "Specified signature is not matched with our calculation."
            )
        return None

    def _check_date_and_nonce(self, request: Request) -> Response | None:
        try:
            sent = datetime.strptime(request.header("x-acs-date") or "", acs3.DATE_FORMAT)
        except ValueError:
            return _error(
                400, "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted."
            )
        skew = float(self.emulator.config.get("ehpc_max_skew_seconds", MAX_SKEW_SECONDS))
        if abs(sent.replace(tzinfo=timezone.utc).timestamp() - time.time()) > skew:
            return _error(400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        nonce = request.header("x-acs-signature-nonce") or ""
        now = time.time()
        with self._lock:
            if nonce in self._nonces:
                return _error(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
            self._nonces = {n: t for n, t in self._nonces.items() if now - t < skew}
            self._nonces[nonce] = now
        return None


class EhpcApi:
    """The four actions, over the shared job store."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.store = emulator.store
        self.signatures = Signatures(emulator)
        self.actions = {
            "DeleteJobs": self.delete_jobs,
            "GetJob": self.get_job,
            "ListJobs": self.list_jobs,
            "ListExecutors": self.list_executors,
        }

    def dispatch(self, request: Request) -> Response:
        action = request.header("x-acs-action") or ""
        self._count(action if action in self.actions else "unknown")
        if (denied := self.signatures.check(request)) is not None:
            return denied
        if request.header("x-acs-version") != VERSION:
            return _error(400, "InvalidVersion", "Specified parameter Version is not valid.")
        handler = self.actions.get(action)
        if handler is None:
            return _error(
                404, "InvalidAction.NotFound", "Specified api is not found, please check your url and method."
            )
        region = request.params.get("region") or DEFAULT_REGION
        if not self.store.has_cluster(SERVICE, region):
            return _error(404, "InvalidRegionId", f"The specified region {region} does not exist.")
        try:
            return handler(request.query, region)
        except ValueError as err:
            return _invalid(str(err))

    def _count(self, action: str) -> None:
        # per-action counters beside the route counter, so tests can count DeleteJobs vs ListJobs calls
        with self.emulator._stats_lock:
            self.emulator.stats[f"ehpc.{action}"] += 1

    # ------------------------------------------------------------------ DeleteJobs
    def _job(self, job_id: str, region: str) -> EmulatedJob | None:
        """The job (deleted ones included) if it lives in ``region``."""
        job = self.store.get(SERVICE, job_id)
        return job if job is not None and job.attrs.get("region") == region else None

    def _in_region(self, region: str, name: Any = None) -> list[EmulatedJob]:
        """Every job of ``region`` (whose name contains ``name``, when given)."""
        return self.store.select(
            SERVICE, lambda j: j.attrs.get("region") == region and (not name or str(name) in j.name)
        )

    def delete_jobs(self, query: dict[str, str], region: str) -> Response:
        scheduler = query.get("JobScheduler", "HPC")
        if scheduler not in SCHEDULERS:
            raise ValueError("JobScheduler")
        job_spec = _json_param(query, "JobSpec", list) or []
        executor_ids = _json_param(query, "ExecutorIds", list) or []
        if not job_spec and not executor_ids:
            raise ValueError("JobSpec")
        if len(job_spec) > MAX_IDS:
            raise ValueError("JobSpec")
        if len(executor_ids) > MAX_IDS or not all(isinstance(e, str) for e in executor_ids):
            raise ValueError("ExecutorIds")
        with self.store.lock:
            plan: list[tuple[EmulatedJob, str | None, list[str] | None]] = []  # (job, task, indexes)
            for entry in job_spec:
                if not isinstance(entry, dict) or not isinstance(entry.get("JobId"), str):
                    raise ValueError("JobSpec")
                job = self._deletable(entry["JobId"], scheduler, region)
                if isinstance(job, Response):
                    return job
                tasks = entry.get("TaskSpec") or []
                if not isinstance(tasks, list):
                    raise ValueError("JobSpec.TaskSpec")
                if not tasks:
                    plan.append((job, None, None))
                for task in tasks:
                    plan.append((job, *self._task_target(job, task)))
            for executor_id in executor_ids:
                match = EXECUTOR_ID.fullmatch(executor_id)
                if match is None:
                    raise ValueError("ExecutorIds")
                job = self._deletable(match.group(1), scheduler, region)
                if isinstance(job, Response):
                    return job
                if match.group(3) not in job.attrs["tasks"].get(match.group(2), {}):
                    raise ValueError("ExecutorIds")
                plan.append((job, match.group(2), [match.group(3)]))
            for job, task, indexes in plan:
                self._apply(job, task, indexes)
        return _ok()

    def _deletable(self, job_id: str, scheduler: str, region: str) -> EmulatedJob | Response:
        job = self._job(job_id, region)
        # [INF] a job of the other scheduler type is not visible to this request
        if job is None or job.state == DELETED or job.attrs.get("job_scheduler", "HPC") != scheduler:
            return _error(400, "JobNotFound", "The specified job id is not found.")
        failure = job.attrs.get("fail_delete")  # fault injection per job: an error code such as DbError
        if failure:
            status = {"DbError": 406, "ServiceUnavailable": 503}.get(failure, 400)
            return _error(status, str(failure), f"Deleting {job_id} failed ({failure}).")
        return job

    @staticmethod
    def _task_target(job: EmulatedJob, task: Any) -> tuple[str, list[str] | None]:
        if not isinstance(task, dict) or task.get("TaskName") not in job.attrs["tasks"]:
            raise ValueError("JobSpec.TaskSpec.TaskName")
        indexes = task.get("ArrayIndex")
        if indexes is None:
            return task["TaskName"], None
        executors = job.attrs["tasks"][task["TaskName"]]
        if (
            not isinstance(indexes, list)
            or not indexes
            or not all(
                isinstance(i, int) and not isinstance(i, bool) and str(i) in executors for i in indexes
            )
        ):
            raise ValueError("JobSpec.TaskSpec.ArrayIndex")
        return task["TaskName"], [str(i) for i in indexes]

    def _apply(self, job: EmulatedJob, task: str | None, indexes: list[str] | None) -> None:
        tasks: dict[str, dict[str, str]] = job.attrs["tasks"]
        if task is None:
            for executors in tasks.values():
                for index in executors:
                    executors[index] = DELETED
            if job.state != DELETED:
                self.store.mark_deleted(job, keep_record=True, deleted_state=DELETED)
            return
        executors = tasks[task]
        for index in indexes if indexes is not None else list(executors):
            executors[index] = DELETED
        job.attrs["partial_delete_count"] = job.attrs.get("partial_delete_count", 0) + 1

    # ------------------------------------------------------------------ GetJob
    def get_job(self, query: dict[str, str], region: str) -> Response:
        job_id = query.get("JobId")
        if not job_id:
            raise ValueError("JobId")
        job = self._job(job_id, region)
        if job is None:
            return _error(400, "JobNotFound", "The specified job id is not found.")
        info = {
            **_job_summary(job),
            "JobScheduler": job.attrs.get("job_scheduler", "HPC"),
            "Tasks": [
                {
                    "TaskName": name,
                    "ExecutorStatus": [
                        {
                            "ArrayId": int(index),
                            "Status": status,
                            "StatusReason": "",
                            "CreateTime": _local_time(job.created_at),
                        }
                        for index, status in executors.items()
                    ],
                }
                for name, executors in job.attrs["tasks"].items()
            ],
        }
        return _ok({"JobInfo": info})

    # ------------------------------------------------------------------ ListJobs
    def list_jobs(self, query: dict[str, str], region: str) -> Response:
        flt = _json_param(query, "Filter", dict) or {}
        number, size = _page(query)
        ids = flt.get("JobIds")
        if ids is not None and (not isinstance(ids, list) or len(ids) > MAX_IDS):
            raise ValueError("Filter.JobIds")
        wanted = set(ids or []) | ({flt["JobId"]} if flt.get("JobId") else set())
        name = flt.get("JobName")
        status = flt.get("Status")
        after, before = _timestamp(flt, "TimeCreatedAfter"), _timestamp(flt, "TimeCreatedBefore")

        def keep(job: EmulatedJob) -> bool:
            local = job.created_at + REGION_TZ.utcoffset(None).total_seconds()  # "UNIX time in local time"
            return (
                (not wanted or job.job_id in wanted)
                and (not name or str(name) in job.name)
                and (not status or job.state == status)
                and (after is None or local >= after)
                and (before is None or local <= before)
            )

        jobs = sorted(filter(keep, self._in_region(region)), key=lambda j: j.created_at, reverse=True)
        page = jobs[(number - 1) * size : number * size]
        return _ok(
            {
                "JobList": [_job_summary(j) for j in page],
                "TotalCount": len(jobs),
                "PageNumber": number,
                "PageSize": size,
            }
        )

    # ------------------------------------------------------------------ ListExecutors
    def list_executors(self, query: dict[str, str], region: str) -> Response:
        flt = _json_param(query, "Filter", dict) or {}
        number, size = _page(query)
        ids = flt.get("ExecutorIds")
        if ids is not None and (not isinstance(ids, list) or len(ids) > MAX_IDS):
            raise ValueError("Filter.ExecutorIds")
        statuses = flt.get("Status")
        if statuses is not None and not isinstance(statuses, list):
            raise ValueError("Filter.Status")
        name = flt.get("JobName")
        rows = []
        for job in self._in_region(region, name):
            for task, executors in job.attrs["tasks"].items():
                for index, status in executors.items():
                    executor_id = f"{job.job_id}-{task}-{index}"
                    if ids is not None and executor_id not in ids:
                        continue
                    if statuses and status not in statuses:
                        continue
                    rows.append(
                        {
                            "ExecutorId": executor_id,
                            "JobId": job.job_id,
                            "JobName": job.name,
                            "TaskName": task,
                            "ArrayIndex": int(index),
                            "Status": status,
                            "StatusReason": "",
                            "CreateTime": _local_time(job.created_at),
                        }
                    )
        page = rows[(number - 1) * size : number * size]
        # TotalCount is a string in this API's SDK model
        return _ok({"Executors": page, "TotalCount": str(len(rows)), "PageNumber": number, "PageSize": size})


def _job_summary(job: EmulatedJob) -> dict[str, Any]:
    tasks: dict[str, dict[str, str]] = job.attrs["tasks"]
    return {
        "JobId": job.job_id,
        "JobName": job.name,
        "Status": job.state,
        "CreateTime": _local_time(job.created_at),
        "StartTime": _local_time(job.created_at),
        "EndTime": _local_time(job.deleted_at) if job.deleted_at else "",
        "OwnerUid": "1234567890123456",
        "TaskCount": len(tasks),
        "ExecutorCount": sum(1 for e in tasks.values() for s in e.values() if s != DELETED),
        "TaskSustainable": False,
        "Tags": [],
    }


def _executor_status(job_state: str) -> str:
    return job_state if job_state in ("Pending", "Running", "Succeeded", "Failed", "Exception") else "Running"


def _seed_defaults(job: EmulatedJob) -> None:
    """Fill state, scheduler and the task/executor map of a seeded job."""
    job.state = job.state or "Failed"
    job.attrs.setdefault("region", DEFAULT_REGION)
    job.attrs.setdefault("job_scheduler", "HPC")
    raw = job.attrs.get("tasks") or {"task0": 1}
    status = _executor_status(job.state)
    tasks: dict[str, dict[str, str]] = {}
    for name, spec in raw.items():
        if isinstance(spec, int):
            tasks[name] = {str(i): status for i in range(spec)}
        elif isinstance(spec, list):
            tasks[name] = {str(int(i)): status for i in spec}
        else:
            tasks[name] = {str(k): str(v) for k, v in dict(spec).items()}
    job.attrs["tasks"] = tasks
    if job.state == DELETED:
        job.deleted_at = job.deleted_at or time.time()


def _new_job_id() -> str:
    alphabet = string.ascii_lowercase + string.digits
    return "job-" + "".join(secrets.choice(alphabet) for _ in range(16))


def _shape(request: Request, kind: str) -> Response:
    """Fault-injection answers as E-HPC sends them: throttling is HTTP 400 with a millisecond retry hint."""
    if kind == "throttle":
        return _error(400, "Throttling.User", "Request was denied due to user flow control.")
    if kind == "unknown_code":
        return _error(400, "Emulator.UnknownCode", "An error no client knows.")
    return _error(
        503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server."
    )


def register(emulator: Emulator) -> None:
    api = EhpcApi(emulator)
    emulator.id_factories[SERVICE] = _new_job_id
    emulator.seed_defaults[SERVICE] = _seed_defaults
    emulator.cluster_attrs[SERVICE] = "region"
    emulator.store.define_clusters(SERVICE, [DEFAULT_REGION])

    def shape(request: Request, kind: str) -> Response:
        response = _shape(request, kind)
        if kind == "unknown_code":
            return response
        millis = round(float(emulator.faults.config.retry_after) * 1000)
        response.headers["x-acs-retry-after"] = str(millis)
        return response

    emulator.error_shapes[SERVICE] = shape
    emulator.on_reset.append(api.signatures.clear)
    emulator.router.add("POST", r"/", api.dispatch, name="ehpc.api", service=SERVICE)
    emulator.router.add("POST", r"/regions/(?P<region>[^/]+)/", api.dispatch, name="ehpc.api", service=SERVICE)
