"""Alibaba Cloud E-HPC Instant (API 2023-07-01): delete jobs, tasks and executors, confirm they are gone.

Connection ``alibaba_ehpc``: login = AccessKey ID, password = AccessKey Secret; extras ``region``
(e.g. ``cn-hangzhou``), ``endpoint`` (default ``https://ehpcinstant.{region}.aliyuncs.com``),
``security_token`` (STS), and the common ``verify`` / ``allow_insecure_http`` / timeout / retry settings.

Calls are RPC style (``POST /``, action in ``x-acs-action``, parameters in the query string) signed with
ACS3-HMAC-SHA256 (:mod:`airflow_provider_jobcleanup.auth.alibaba_acs3`). Every success answer is checked
against its model (:mod:`airflow_provider_jobcleanup.hooks.alibaba_ehpc_answers`).

* Look: before deleting, the hook reads which jobs exist (:meth:`EhpcHook.get_job_states`); jobs already
  gone are ``already_gone`` and not sent.
* Delete: ``DeleteJobs`` with ``JobSpec`` (≤100 jobs a call) and ``ExecutorIds`` (≤100 a call); success is
  ``{"RequestId": ...}``. A batch refused for one job's reason (``InvalidParams``...) is split in halves
  (keeping a job's items together) until every job's outcome is known: ``JobNotFound`` -> ``already_gone``,
  other errors -> ``failed``. Errors that end the run (credentials, clock, outage after its retries such as a
  persistent ``DbError``, an answer not understood) stop it: jobs not yet answered are failed, nothing else
  is claimed.
* Gone: only the documented evidence counts: status ``Deleted``, a ``JobNotFound`` answer to ``GetJob``,
  or absence from a ``ListJobs`` page filtered by ``JobIds`` that is proven complete (no row for an id not
  asked for, no conflicting duplicate, and a ``TotalCount`` equal to the rows). Otherwise each unresolved job
  is asked with ``GetJob``. Executors and array indexes: ``ListExecutors`` (100 ids a call) under the same
  rule, falling back to ``GetJob``'s executor list; whole tasks: ``GetJob``.
* Errors: ``Throttling*``, ``ServiceUnavailable``, ``DbError`` and 5xx are retried; ``x-acs-retry-after`` is
  in milliseconds. Signature and key errors are :class:`AuthenticationError`, timestamp errors
  :class:`ClockSkewError`; both stop the run. A 404 without a known code is :class:`EndpointNotFoundError`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from functools import cached_property
from typing import Any, TypeVar

from airflow_provider_jobcleanup.answers import (
    Answer,
    AnswerModel,
    error_fields,
    error_from_status,
    json_or_none,
    parse_answer,
    parse_retry_after,
)
from airflow_provider_jobcleanup.auth.alibaba_acs3 import AlibabaAcs3Auth
from airflow_provider_jobcleanup.exceptions import (
    ApiError,
    AuthenticationError,
    ClockSkewError,
    ConfigurationError,
    NotFoundError,
    PermissionDeniedError,
    ThrottledError,
    TransientServiceError,
    UnexpectedAnswerError,
)
from airflow_provider_jobcleanup.hooks.alibaba_ehpc_answers import (
    DeleteJobsAnswer,
    GetJobAnswer,
    JobDetail,
    ListExecutorsAnswer,
    ListJobsAnswer,
)
from airflow_provider_jobcleanup.hooks.alibaba_ehpc_params import (
    JOB_ID,
    JOB_ID_DESCRIPTION,
    EhpcParams,
    compact_json,
    parse_params,
)
from airflow_provider_jobcleanup.hooks.base import JobCleanupHook
from airflow_provider_jobcleanup.hooks.batching import chunks, send_bisecting
from airflow_provider_jobcleanup.hooks.paging import Page, select_matching, walk_pages
from airflow_provider_jobcleanup.hooks.times import epoch_s_or_ms, iso_8601
from airflow_provider_jobcleanup.models import (
    ALREADY_GONE,
    DeletionReport,
    JobFilter,
    JobInfo,
    JobStatus,
    Outcome,
)
from airflow_provider_jobcleanup.models import DELETED as DELETED_OUTCOME
from airflow_provider_jobcleanup.secrets import mask
from airflow_provider_jobcleanup.transport import ApiTransport

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
#: the request's timestamp was refused: this machine's clock is off
CLOCK_CODES = ("InvalidTimeStamp.Expired", "RequestTimeTooSkewed", "RequestTimeTooSkewed.Expired")
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
#: ``Code`` values some Alibaba APIs put in a success answer
SUCCESS_CODES = ("", "200", "OK", "Success")
#: stands for "no total reported" in page walks: the walk then stops on a short page or nothing new
NO_TOTAL = sys.maxsize

#: one unit of deletion: (job id, JobSpec entry or executor id)
Item = tuple[str, Any]
M = TypeVar("M", bound=AnswerModel)


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
    #: job ``Status`` values (E-HPC Instant API reference)
    states = STATES

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
        return self.checked_endpoint(url, "endpoint")

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
            raise ConfigurationError(f"connection {self.conn_id!r}: utc_offset_hours {offset!r}: {err}") from err

    def _build_transport(self) -> ApiTransport:
        access_key_id, secret = self.connection.login, self.connection.password
        if not access_key_id or not secret:
            raise ConfigurationError(
                f"connection {self.conn_id!r}: login (AccessKey ID) and password (AccessKey Secret) are required"
            )
        token = self.extras.get("security_token") or None
        mask(secret)
        mask(str(token) if token else None)
        auth = AlibabaAcs3Auth(access_key_id, secret, security_token=token, version=API_VERSION)
        return self.new_transport(auth, self.parse_error)

    def parse_error(self, response: Answer) -> ApiError | None:
        """Alibaba error bodies ``{Code, Message, RequestId}`` to typed errors, whatever the HTTP status (a
        2xx carrying an error ``Code`` or ``Success: false`` is an error too)."""
        code, message, request_id = error_fields(response)
        code = code or ""
        if response.ok:
            body = json_or_none(response)
            failed = isinstance(body, dict) and (body.get("Success") is False or code not in SUCCESS_CODES)
            if not failed:
                return None
        fields: dict[str, Any] = {
            "service": self.service,
            "status_code": response.status_code,
            "error_code": code or None,
            "request_id": request_id,
        }
        retry_after = _retry_after_ms(response.headers.get("x-acs-retry-after"))
        if retry_after is None:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if code in CLOCK_CODES:
            return ClockSkewError(
                f"E-HPC refused the request time ({message}): this machine's clock is off; synchronize the "
                "machine clock (NTP) of the worker that runs the task",
                **fields,
            )
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
        if response.status_code in (401, 403, 404):
            # refused credentials or permissions stop the run, whatever the code; a 404 without the documented
            # not-found code is a wrong endpoint, never "the job is gone"
            return error_from_status(self.service, response)
        if not code:
            return UnexpectedAnswerError(
                f"an answer of HTTP {response.status_code} without an E-HPC error code ({message}); "
                "nothing is taken as done from it",
                **fields,
            )
        if code == "InvalidParams":
            return ApiError(f"E-HPC rejected a parameter: {message}", **fields)
        return ApiError(message, **fields)

    def _call(self, action: str, params: Mapping[str, Any], model: type[M]) -> M:
        """One action; its success answer validated as ``model``."""
        response = self.transport.request(
            "POST",
            self.endpoint + "/",
            params={k: v for k, v in params.items() if v is not None},
            headers={"x-acs-action": action, "Accept": "application/json"},
        )
        return parse_answer(response, model, self.service, action)

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
        """Delete whole jobs, tasks/array indexes (``task_spec``) or executors (``executor_ids``) of the jobs
        the look found present. A job is ``deleted`` once every one of its items had a success answer; when
        the run stops, jobs with items still unanswered get no outcome here (the base marks them failed)."""
        parsed = parse_params(params)  # checked against every requested job by the base before the look
        outcomes: dict[str, Outcome] = {}  # a job's outcome so far, over the batches its items span
        specs: list[Item] = []
        executors: list[Item] = []
        for job_id in job_ids:
            if job_id in parsed.executor_ids:
                executors.extend((job_id, e.executor_id) for e in parsed.executor_ids[job_id])
            else:
                specs.append((job_id, {"JobId": job_id, "TaskSpec": parsed.task_spec.get(job_id, [])}))
        unanswered = {job_id: 0 for job_id in job_ids}
        for job_id, _ in [*specs, *executors]:
            unanswered[job_id] += 1
        scheduler = {"JobScheduler": parsed.job_scheduler}

        def send_specs(items: list[Item]) -> None:
            self._call("DeleteJobs", {"JobSpec": compact_json([i for _, i in items]), **scheduler}, DeleteJobsAnswer)

        def send_executors(items: list[Item]) -> None:
            self._call(
                "DeleteJobs", {"ExecutorIds": compact_json([i for _, i in items]), **scheduler}, DeleteJobsAnswer
            )

        def record(items: list[Item], outcome: Outcome) -> None:
            for job, _ in items:
                unanswered[job] -= 1
                _merge(outcomes, job, outcome)

        def succeeded(items: list[Item], _: Any) -> None:
            record(items, DELETED_OUTCOME)

        def failed(items: list[Item], err: ApiError) -> None:
            record(items, ALREADY_GONE if isinstance(err, NotFoundError) else Outcome.failure(str(err)))

        try:
            for send, items in ((send_specs, specs), (send_executors, executors)):
                for batch in chunks(items, MAX_PER_CALL):
                    send_bisecting(batch, send, on_success=succeeded, on_failure=failed, key=lambda item: item[0])
        finally:
            for job_id in job_ids:
                outcome = outcomes.get(job_id)
                if not unanswered[job_id] and outcome is not None:
                    report.record(job_id, outcome)

    # ----------------------------------------------------------------- status
    def _job_states(self, job_ids: list[str], **params: Any) -> dict[str, JobStatus]:
        """Whole jobs: ``ListJobs`` per 100 ids. Executors and array indexes: ``ListExecutors`` per 100.
        Whole tasks: one ``GetJob`` per job. Whatever a listing does not prove is asked with ``GetJob``."""
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
                    executor_targets[job_id] = [f"{job_id}-{t['TaskName']}-{i}" for t in tasks for i in t["ArrayIndex"]]
                else:
                    task_jobs.append(job_id)
            else:
                whole_jobs.append(job_id)
        states = self._whole_job_states(whole_jobs)
        states.update(self._executor_states(executor_targets))
        for job_id in task_jobs:
            states[job_id] = self._task_state(job_id, [t["TaskName"] for t in parsed.task_spec[job_id]])
        return {job_id: states[job_id] for job_id in job_ids}

    def _get_job(self, job_id: str) -> JobDetail | None:
        """``GetJob``: the job's record, or ``None`` on the documented ``JobNotFound``."""
        try:
            answer = self._call("GetJob", {"JobId": job_id}, GetJobAnswer)
        except NotFoundError:
            return None
        if answer.JobInfo.JobId != job_id:
            raise UnexpectedAnswerError(
                f"GetJob for {job_id} answered with job {answer.JobInfo.JobId}; nothing is taken from it",
                service=self.service,
            )
        return answer.JobInfo

    def _job_state(self, job_id: str) -> JobStatus:
        job = self._get_job(job_id)
        if job is None:
            return JobStatus(job_id, gone=True)
        return JobStatus(job_id, gone=job.Status == DELETED, state=job.Status)

    def _whole_job_states(self, job_ids: list[str]) -> dict[str, JobStatus]:
        states: dict[str, JobStatus] = {}
        for batch in chunks(job_ids, MAX_PER_CALL):
            answer = self._call(
                "ListJobs",
                {"Filter": compact_json({"JobIds": batch}), "PageNumber": 1, "PageSize": MAX_PER_CALL},
                ListJobsAnswer,
            )
            rows = [(row.JobId, row.Status) for row in answer.JobList]
            states.update(_from_listing(batch, rows, answer.TotalCount, self._job_state))
        return states

    def _executor_states(self, targets: dict[str, list[str]]) -> dict[str, JobStatus]:
        """A job is gone when every executor named for it is: ``Deleted``, absent from a listing proven
        complete, or (when the listing proves nothing about it) ``Deleted`` or gone in ``GetJob``."""
        owner = {executor: job for job, executors in targets.items() for executor in executors}
        found: dict[str, JobStatus] = {}
        unresolved: set[str] = set()

        def later(executor: str) -> JobStatus:  # decided below from the job's GetJob record
            unresolved.add(executor)
            return JobStatus(executor, gone=False)

        for batch in chunks(list(owner), MAX_PER_CALL):
            answer = self._call(
                "ListExecutors",
                {"Filter": compact_json({"ExecutorIds": batch}), "PageNumber": 1, "PageSize": MAX_PER_CALL},
                ListExecutorsAnswer,
            )
            rows = [(row.ExecutorId, row.Status) for row in answer.Executors]
            found.update(_from_listing(batch, rows, answer.TotalCount, later))
        details: dict[str, JobDetail | None] = {}
        for executor in sorted(unresolved):
            job = owner[executor]
            if job not in details:
                details[job] = self._get_job(job)
            found[executor] = _executor_in_detail(executor, job, details[job])
        out: dict[str, JobStatus] = {}
        for job, executors in targets.items():
            alive = [found[e] for e in executors if not found[e].gone]
            if alive:
                out[job] = JobStatus(job, gone=False, state=alive[0].state)
            else:
                out[job] = JobStatus(job, gone=True, state=None if details.get(job, True) is None else DELETED)
        return out

    def _task_state(self, job_id: str, task_names: list[str]) -> JobStatus:
        """Whole tasks: gone when the job is, or when each task named is listed with only ``Deleted``
        executors. A task the job does not list is not evidence of anything: the job counts as present."""
        job = self._get_job(job_id)
        if job is None:
            return JobStatus(job_id, gone=True)
        if job.Status == DELETED:
            return JobStatus(job_id, gone=True, state=DELETED)
        tasks = {task.TaskName: task for task in job.Tasks}
        for name in task_names:
            task = tasks.get(name)
            if task is None or not task.ExecutorStatus:
                return JobStatus(job_id, gone=False, state=job.Status)
            alive = [s.Status for s in task.ExecutorStatus if s.Status != DELETED]
            if alive:
                return JobStatus(job_id, gone=False, state=alive[0])
        return JobStatus(job_id, gone=True, state=DELETED)

    # ----------------------------------------------------------------- list
    def _list_jobs(self, job_filter: JobFilter, **params: Any) -> list[JobInfo]:
        """Every job matching the filter (all pages). ``Deleted`` jobs are left out unless asked for."""
        self.validate_params(params)
        server_filter: dict[str, Any] = {}
        canonical = {s.lower(): s for s in STATES}
        if len(job_filter.states) == 1:
            server_filter["Status"] = canonical[job_filter.states[0].lower()]
        wants_deleted = any(s.lower() == DELETED.lower() for s in job_filter.states)
        jobs = select_matching(self._job_pages(server_filter), job_filter, self.service)
        return [job for job in jobs if wants_deleted or job.state != DELETED]

    def _job_pages(self, server_filter: dict[str, Any], page_size: int = MAX_PER_CALL) -> Iterator[Page]:
        """``ListJobs`` page by page (at most ``max_list_pages``); without a ``TotalCount`` the walk stops on a
        short page or a page with nothing new."""

        def fetch(index: int) -> Page:
            query: dict[str, Any] = {"PageNumber": index + 1, "PageSize": page_size}
            if server_filter:
                query["Filter"] = compact_json(server_filter)
            answer = self._call("ListJobs", query, ListJobsAnswer)
            jobs = [
                JobInfo(
                    job_id=row.JobId,
                    state=row.Status,
                    name=row.JobName,
                    created_at=parse_time(row.CreateTime, self.region_tz),
                )
                for row in answer.JobList
            ]
            return jobs, NO_TOTAL if answer.TotalCount is None else answer.TotalCount

        return walk_pages(fetch, page_size, self.limits.max_pages, self.service)

    def scope_region(self) -> str | None:
        region = self.extras.get("region")
        return region if isinstance(region, str) else None

    def console_url(self, params: Mapping[str, Any]) -> str | None:
        """[INF] The E-HPC Instant console's job list for the region."""
        return f"https://ehpc.console.aliyun.com/instant/{self.region}/jobs" if self.region else None

    def check_access(self) -> str | None:
        """One signed, read-only ``ListJobs`` call of one row."""
        calls = self.api_calls
        self._call("ListJobs", {"PageNumber": 1, "PageSize": 1}, ListJobsAnswer)
        return self.proof("ListJobs", calls)


def _from_listing(
    asked: list[str],
    rows: list[tuple[str, str]],
    total: int | None,
    look_up: Callable[[str], JobStatus],
) -> dict[str, JobStatus]:
    """States of the ``asked`` ids from one page of a listing filtered by exactly those ids.

    A row for an id not asked for means the filter was ignored: the page proves nothing and every id is
    looked up. An id listed twice with different states is looked up. An id absent is gone only when the page
    is proven complete (``total`` given and equal to the distinct rows); otherwise it is looked up.
    """
    wanted = set(asked)
    if any(row_id not in wanted for row_id, _ in rows):
        return {item: look_up(item) for item in asked}
    seen: dict[str, set[str]] = {}
    for row_id, status in rows:
        seen.setdefault(row_id, set()).add(status)
    complete = total is not None and total == len(seen) and all(len(s) == 1 for s in seen.values())
    states: dict[str, JobStatus] = {}
    for item in asked:
        statuses = seen.get(item)
        if statuses is not None and len(statuses) == 1:
            (status,) = statuses
            states[item] = JobStatus(item, gone=status == DELETED, state=status)
        elif statuses is None and complete:
            states[item] = JobStatus(item, gone=True)
        else:
            states[item] = look_up(item)
    return states


def _executor_in_detail(executor: str, job_id: str, job: JobDetail | None) -> JobStatus:
    """An executor's state from its job's ``GetJob`` record: gone when the job is not found or ``Deleted``,
    or the executor is listed ``Deleted``; an executor the record does not list is not evidence (present)."""
    if job is None or job.Status == DELETED:
        return JobStatus(executor, gone=True, state=None if job is None else DELETED)
    rest = executor[len(job_id) + 1 :]
    task_name, _, index = rest.rpartition("-")
    for task in job.Tasks:
        if task.TaskName == task_name:
            for status in task.ExecutorStatus:
                if str(status.ArrayId) == index:
                    return JobStatus(executor, gone=status.Status == DELETED, state=status.Status)
    return JobStatus(executor, gone=False)


#: which outcome of a job's items is the job's: a failure wins, then a deletion, then "already gone"
RANK = {"already_gone": 0, "deleted": 1, "failed": 2}


def _merge(outcomes: dict[str, Outcome], job: str, outcome: Outcome) -> None:
    """A job's items may span batches: its outcome is the highest ranked one of its items (the first failure
    is kept)."""
    current = outcomes.get(job)
    if current is None or RANK[outcome.kind] > RANK[current.kind]:
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
    return epoch_s_or_ms(value) or iso_8601(value, local)
