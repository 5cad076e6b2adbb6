"""Alibaba Cloud E-HPC Instant (API 2023-07-01): delete jobs, tasks and executors, confirm they are gone.

Connection ``alibaba_ehpc``: login = AccessKey ID, password = AccessKey Secret; extras ``region``
(e.g. ``cn-hangzhou``), ``endpoint`` (default ``https://ehpcinstant.{region}.aliyuncs.com``),
``security_token`` (STS), and the common ``verify`` / ``allow_insecure_http`` / timeout / retry settings.

Calls are RPC style (``POST /``, action in ``x-acs-action``, parameters in the query string) signed with
ACS3-HMAC-SHA256 (:mod:`airflow_provider_jobcleanup.auth.alibaba_acs3`).

* Delete: ``DeleteJobs`` with ``JobSpec`` (≤100 jobs a call) and ``ExecutorIds`` (≤100 a call). A batch that
  fails for a non-transient reason (or a persistent ``DbError``) is split in halves (keeping a job's items
  together) until every job's outcome is known: ``JobNotFound`` -> ``already_gone``, other errors ->
  ``failed``.
* Gone: ``ListJobs`` filtered by ``JobIds`` (one call per 100 ids): status ``Deleted`` or absent. Jobs
  deleted by executors or array indexes are confirmed with ``ListExecutors`` (one call per 100 executors);
  whole tasks with ``GetJob``.
* Errors: ``Throttling*``, ``ServiceUnavailable``, ``DbError`` and 5xx are retried; ``x-acs-retry-after`` is
  in milliseconds. Signature and key errors are :class:`AuthenticationError` and stop the run.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import Any, TypeVar

from airflow_provider_jobcleanup.auth.alibaba_acs3 import AlibabaAcs3Auth
from airflow_provider_jobcleanup.exceptions import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    NotFoundError,
    PermissionDeniedError,
    ThrottledError,
    TransientServiceError,
)
from airflow_provider_jobcleanup.hooks.alibaba_ehpc_params import (
    JOB_ID,
    JOB_ID_DESCRIPTION,
    EhpcParams,
    compact_json,
    parse_params,
)
from airflow_provider_jobcleanup.hooks.base import JobCleanupHook
from airflow_provider_jobcleanup.hooks.batching import send_bisecting
from airflow_provider_jobcleanup.models import DeletionReport, JobFilter, JobInfo, JobStatus
from airflow_provider_jobcleanup.secrets import mask
from airflow_provider_jobcleanup.transport import (
    Answer,
    ApiTransport,
    error_fields,
    json_or_none,
    parse_retry_after,
)

API_VERSION = "2023-07-01"
MAX_PER_CALL = 100
DELETED = "Deleted"
STATES = (
    "Pending",
    "Initing",
    "Running",
    "Succeeded",
    "Failed",
    "Exception",
    "Retrying",
    "Expired",
    "Suspended",
    "Restarting",
    "Deleted",
)
AUTH_CODE_PREFIXES = (
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "InvalidSecurityToken",
    "InvalidTimeStamp",
    "SignatureNonceUsed",
    "MissingSecurityToken",
    "InvalidAuthorization",
)
PERMISSION_CODES = ("NotAuthorized", "Forbidden", "NoPermission", "EntityNotExist.Role", "NotEnabled")
TRANSIENT_CODES = ("ServiceUnavailable", "DbError", "InternalError", "ServiceTimeout")

#: one unit of deletion: (job id, JobSpec entry or executor id)
Item = tuple[str, Any]
T = TypeVar("T")


class EhpcHook(JobCleanupHook):
    """Deletes E-HPC Instant jobs (whole, by task/array index, or by executor). See the module docstring and
    :mod:`airflow_provider_jobcleanup.hooks.alibaba_ehpc_params` for ``task_spec``, ``executor_ids`` and
    ``job_scheduler``."""

    service = "ehpc"
    conn_type = "alibaba_ehpc"
    conn_name_attr = "alibaba_ehpc_conn_id"
    default_conn_name = "alibaba_ehpc_default"
    hook_name = "Alibaba Cloud E-HPC Instant"
    batch_limit = MAX_PER_CALL
    job_id_pattern = JOB_ID
    job_id_description = JOB_ID_DESCRIPTION
    job_id_allow_int = False
    param_names = ("task_spec", "executor_ids", "job_scheduler")
    #: job ``Status`` values (E-HPC Instant API reference)
    states = (
        "Pending", "Initing", "Running", "Succeeded", "Failed", "Exception",
        "Retrying", "Expired", "Suspended", "Restarting", "Deleted",
    )
    #: the delete path reads the jobs itself (``ListJobs`` per 100 ids) before sending ``DeleteJobs``
    look_before_delete = False

    # ----------------------------------------------------------------- connection
    @cached_property
    def region(self) -> str | None:
        region = self.extras.get("region")
        return str(region) if region else None

    @cached_property
    def endpoint(self) -> str:
        url = self.extras.get("endpoint")
        if not url:
            if not self.region:
                raise ConfigurationError(
                    f"connection {self.conn_id!r}: set extra 'region' (e.g. cn-hangzhou) or 'endpoint'"
                )
            url = f"https://ehpcinstant.{self.region}.aliyuncs.com"
        return self.checked_endpoint(str(url), "endpoint")

    @cached_property
    def region_tz(self) -> timezone:
        """Zone of naive times in answers: the SDK says region-local, UTC+8 in mainland China [INF for
        other regions: UTC unless the ``utc_offset_hours`` extra says otherwise]."""
        offset = self.extras.get("utc_offset_hours")
        if offset is None:
            offset = 8 if (self.region or "cn-").startswith("cn-") else 0
        try:
            return timezone(timedelta(hours=float(offset)))
        except (TypeError, ValueError) as err:
            raise ConfigurationError(
                f"connection {self.conn_id!r}: utc_offset_hours {offset!r}: {err}"
            ) from err

    def _build_transport(self) -> ApiTransport:
        access_key_id, secret = self.connection.login, self.connection.password
        if not access_key_id or not secret:
            raise ConfigurationError(
                f"connection {self.conn_id!r}: login (AccessKey ID) and password (AccessKey Secret) "
                "are required"
            )
        token = self.extras.get("security_token") or None
        mask(secret)
        mask(token)
        auth = AlibabaAcs3Auth(access_key_id, secret, security_token=token, version=API_VERSION)
        return self.new_transport(auth, self.parse_error)

    def parse_error(self, response: Answer) -> ApiError | None:
        """Alibaba error bodies ``{Code, Message, RequestId}`` to typed errors, whatever the HTTP status."""
        if response.ok:
            return None
        code, message, request_id = error_fields(response)
        code = code or ""
        fields: dict[str, Any] = {
            "service": self.service,
            "status_code": response.status_code,
            "error_code": code or None,
            "request_id": request_id,
        }
        retry_after = _retry_after_ms(response.headers.get("x-acs-retry-after"))
        if retry_after is None:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if code.startswith(AUTH_CODE_PREFIXES):
            return AuthenticationError(
                f"E-HPC rejected the request signature or AccessKey ({message}); check the connection's "
                "AccessKey ID/Secret, STS token and the machine clock",
                **fields,
            )
        if code.startswith(PERMISSION_CODES):
            return PermissionDeniedError(f"not allowed: {message}", **fields)
        if code == "JobNotFound":
            return NotFoundError(f"job not found: {message}", **fields)
        if (
            code.startswith("Throttling")
            or response.status_code == 429
            or (response.headers.get("x-acs-retry-after") is not None)
        ):
            return ThrottledError(f"throttled: {message}", retry_after=retry_after, **fields)
        if code in TRANSIENT_CODES or response.status_code >= 500:
            return TransientServiceError(message, retry_after=retry_after, **fields)
        if code == "InvalidParams":
            return ApiError(f"E-HPC rejected a parameter: {message}", **fields)
        return ApiError(message, **fields)

    def _call(self, action: str, params: Mapping[str, Any]) -> dict[str, Any]:
        response = self.transport.request(
            "POST",
            self.endpoint + "/",
            params={k: v for k, v in params.items() if v is not None},
            headers={"x-acs-action": action, "Accept": "application/json"},
        )
        body = json_or_none(response)
        return body if isinstance(body, dict) else {}

    # ----------------------------------------------------------------- validation
    def validate_params(self, params: Mapping[str, Any] | str) -> dict[str, Any]:
        """Check ``task_spec``, ``executor_ids`` and ``job_scheduler``; returns them normalized."""
        params = super().validate_params(params)
        return parse_params(params).to_dict()

    def _params(self, job_ids: Sequence[str], params: Mapping[str, Any]) -> EhpcParams:
        parsed = parse_params(super().validate_params(params))
        parsed.check_jobs(job_ids)
        return parsed

    # ----------------------------------------------------------------- delete
    def _delete(self, job_ids: list[str], params: dict[str, Any], report: DeletionReport) -> None:
        """Delete whole jobs, tasks/array indexes (``task_spec``) or executors (``executor_ids``)."""
        parsed = self._params(job_ids, params)
        outcomes: dict[str, str] = {}  # job -> "deleted" | "gone" | failure reason
        specs: list[Item] = []
        executors: list[Item] = []
        for job_id in job_ids:
            if job_id in parsed.executor_ids:
                executors.extend((job_id, e.executor_id) for e in parsed.executor_ids[job_id])
            else:
                specs.append((job_id, {"JobId": job_id, "TaskSpec": parsed.task_spec.get(job_id, [])}))
        scheduler = {"JobScheduler": parsed.job_scheduler}

        def send_specs(items: list[Item]) -> None:
            self._call("DeleteJobs", {"JobSpec": compact_json([i for _, i in items]), **scheduler})

        def send_executors(items: list[Item]) -> None:
            self._call("DeleteJobs", {"ExecutorIds": compact_json([i for _, i in items]), **scheduler})

        def succeeded(items: list[Item], _: Any) -> None:
            for job in dict.fromkeys(job for job, _ in items):
                _merge(outcomes, job, "deleted")

        def failed(items: list[Item], err: ApiError) -> None:
            for job in dict.fromkeys(job for job, _ in items):
                _merge(outcomes, job, "gone" if isinstance(err, NotFoundError) else str(err))

        for send, items in ((send_specs, specs), (send_executors, executors)):
            for batch in _batches(items):
                send_bisecting(
                    batch,
                    send,
                    on_success=succeeded,
                    on_failure=failed,
                    key=lambda item: item[0],
                    # a DbError that survived its retries may be caused by one job's record: isolate it too
                    should_split=lambda err: not err.retryable or err.error_code == "DbError",
                )
        for job_id in job_ids:
            outcome = outcomes.get(job_id, "no outcome recorded")
            if outcome == "deleted":
                report.deleted.append(job_id)
            elif outcome == "gone":
                report.already_gone.append(job_id)
            else:
                report.failed[job_id] = outcome

    # ----------------------------------------------------------------- status
    def get_job_states(self, job_ids: Sequence[str], **params: Any) -> dict[str, JobStatus]:
        """Whole jobs: ``ListJobs`` per 100 ids. Executors and array indexes: ``ListExecutors`` per 100.
        Whole tasks: one ``GetJob`` per job."""
        parsed = self._params(job_ids, params)
        executor_targets: dict[str, list[str]] = {}
        task_jobs: list[str] = []
        whole_jobs: list[str] = []
        for job_id in job_ids:
            if job_id in parsed.executor_ids:
                executor_targets[job_id] = [e.executor_id for e in parsed.executor_ids[job_id]]
            elif job_id in parsed.task_spec:
                tasks = parsed.task_spec[job_id]
                if all("ArrayIndex" in t for t in tasks):
                    executor_targets[job_id] = [
                        f"{job_id}-{t['TaskName']}-{i}" for t in tasks for i in t["ArrayIndex"]
                    ]
                else:
                    task_jobs.append(job_id)
            else:
                whole_jobs.append(job_id)
        states = self._whole_job_states(whole_jobs)
        states.update(self._executor_states(executor_targets))
        for job_id in task_jobs:
            states[job_id] = self._task_state(job_id, [t["TaskName"] for t in parsed.task_spec[job_id]])
        return {job_id: states[job_id] for job_id in job_ids}

    def _whole_job_states(self, job_ids: list[str]) -> dict[str, JobStatus]:
        states: dict[str, JobStatus] = {}
        for batch in _batches(job_ids):
            body = self._call(
                "ListJobs",
                {"Filter": compact_json({"JobIds": batch}), "PageNumber": 1, "PageSize": MAX_PER_CALL},
            )
            found = {str(j.get("JobId")): j.get("Status") for j in body.get("JobList") or []}
            for job_id in batch:
                status = found.get(job_id)
                states[job_id] = JobStatus(job_id, gone=status is None or status == DELETED, state=status)
        return states

    def _executor_states(self, targets: dict[str, list[str]]) -> dict[str, JobStatus]:
        owner = {executor: job for job, executors in targets.items() for executor in executors}
        remaining: dict[str, str] = {}  # job -> a status of one of its executors still present
        for batch in _batches(list(owner)):
            body = self._call(
                "ListExecutors",
                {"Filter": compact_json({"ExecutorIds": batch}), "PageNumber": 1, "PageSize": MAX_PER_CALL},
            )
            for row in body.get("Executors") or []:
                job = owner.get(str(row.get("ExecutorId")))
                if job is not None and row.get("Status") != DELETED:
                    remaining.setdefault(job, str(row.get("Status")))
        return {
            job: JobStatus(job, gone=job not in remaining, state=remaining.get(job, DELETED))
            for job in targets
        }

    def _task_state(self, job_id: str, task_names: list[str]) -> JobStatus:
        try:
            body = self._call("GetJob", {"JobId": job_id})
        except NotFoundError:
            return JobStatus(job_id, gone=True)
        info = body.get("JobInfo") or {}
        if info.get("Status") == DELETED:
            return JobStatus(job_id, gone=True, state=DELETED)
        for task in info.get("Tasks") or []:
            if task.get("TaskName") in task_names:
                alive = [
                    s.get("Status") for s in task.get("ExecutorStatus") or [] if s.get("Status") != DELETED
                ]
                if alive:
                    return JobStatus(job_id, gone=False, state=str(alive[0]))
        return JobStatus(job_id, gone=True, state=DELETED)

    # ----------------------------------------------------------------- list
    def _list_jobs(self, job_filter: JobFilter, **params: Any) -> list[JobInfo]:
        """Every job matching the filter (all pages). ``Deleted`` jobs are left out unless asked for."""
        self.validate_params(params)
        server_filter: dict[str, Any] = {}
        canonical = {s.lower(): s for s in STATES}
        if len(job_filter.states) == 1 and job_filter.states[0].lower() in canonical:
            server_filter["Status"] = canonical[job_filter.states[0].lower()]
        wants_deleted = any(s.lower() == DELETED.lower() for s in job_filter.states)
        now = datetime.now(timezone.utc)
        selected: dict[str, JobInfo] = {}
        for row in self._job_pages(server_filter):
            info = JobInfo(
                job_id=str(row.get("JobId")),
                state=row.get("Status"),
                name=row.get("JobName"),
                created_at=parse_time(row.get("CreateTime"), self.region_tz),
            )
            if info.state == DELETED and not wants_deleted:
                continue
            if info.job_id not in selected and job_filter.matches(info, now):
                selected[info.job_id] = info
        return list(selected.values())

    def _job_pages(
        self, server_filter: dict[str, Any], page_size: int = MAX_PER_CALL
    ) -> Iterator[dict[str, Any]]:
        """Rows of ``ListJobs`` page by page; stops on a short or empty page (``TotalCount`` may be
        absent)."""
        seen: set[str] = set()
        page = 1
        while True:
            query: dict[str, Any] = {"PageNumber": page, "PageSize": page_size}
            if server_filter:
                query["Filter"] = compact_json(server_filter)
            body = self._call("ListJobs", query)
            rows = body.get("JobList") or []
            new = [r for r in rows if str(r.get("JobId")) not in seen]
            yield from new
            seen.update(str(r.get("JobId")) for r in new)
            total = body.get("TotalCount")
            if len(rows) < page_size or not new or (isinstance(total, int) and len(seen) >= total):
                return
            page += 1

    def console_url(self, params: Mapping[str, Any]) -> str | None:
        """[INF] The E-HPC Instant console's job list for the region."""
        return f"https://ehpc.console.aliyun.com/instant/{self.region}/jobs" if self.region else None

    def check_access(self) -> str | None:
        """One signed, read-only ``ListJobs`` call of one row."""
        calls = self.api_calls
        next(self._job_pages({}, page_size=1), None)
        return self.proof("ListJobs", calls)


def _batches(items: list[T]) -> Iterator[list[T]]:
    """Consecutive slices of at most 100 items (the API's per-call limit)."""
    for start in range(0, len(items), MAX_PER_CALL):
        yield items[start : start + MAX_PER_CALL]


def _merge(outcomes: dict[str, str], job: str, outcome: str) -> None:
    """A job's items may span batches: a failure wins, then a deletion, then "already gone"."""
    current = outcomes.get(job)
    if current is None or current == "gone" or (current == "deleted" and outcome not in ("gone", "deleted")):
        outcomes[job] = outcome


def _retry_after_ms(value: str | None) -> float | None:
    """``x-acs-retry-after`` is in milliseconds (the SDK sleeps that many ms)."""
    if not value:
        return None
    try:
        return max(0.0, float(value) / 1000.0)
    except ValueError:
        return None


def parse_time(value: Any, local: timezone) -> datetime | None:
    """A time from an answer: epoch seconds/milliseconds, ISO 8601, or naive ``YYYY-MM-DD HH:MM:SS`` in
    region-local time ``local``."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        if text.replace(".", "", 1).isdigit():
            number = float(text)
            return datetime.fromtimestamp(number / 1000 if number > 1e11 else number, timezone.utc)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=local)
    return parsed.astimezone(timezone.utc)
