"""Huawei Cloud RES (Recommender System) jobs: delete, status and listing through the V1 API (``del-job``).

RES exists only in cn-north-4, so the endpoint defaults to ``https://res.cn-north-4.myhuaweicloud.com``
(``res_endpoint`` overrides it). V1 is marked "being retired" by Huawei; it is the API the seed documents.

* Delete: ``DELETE /v1/{project_id}/del-job`` with the JSON body ``{"job_id", "type", "offline_platform"}``,
  one job per call, so a batch is a loop run by a small thread pool (``concurrency`` requests in flight);
  every job's outcome is collected, so the report stays exact whatever the completion order.
* Errors come as ``{"is_success": false, "error_code": "RES.xxxx", "error_msg"}``, sometimes with HTTP 200:
  ``is_success`` is always read. ``RES.1024`` (operation on the job forbidden: it is starting or computing)
  is a job-level failure; 401 codes and ``res.2301`` (token) stop the run; 429 and 5xx are retried.
* Service parameters, named after the API: ``type`` (required; one of ``etl``, ``retrieval``, ``filter``,
  ``ranking``, ``nearline``, ``standard``, ``evaluation``, the V1 job types) and ``offline_platform``
  (required for ``etl``, ``retrieval``, ``filter`` and ``standard``: ``{"platform": "DLI",
  "platform_parameter": {"cluster_name": ...}, "config_load_path": ..., "computing_resource": ...}``).

Answers are read strictly (:mod:`.huawei_res_answers`): ``is_success`` must say true, the list must carry
``total_items``; anything else is an error that stops the run, never a success.

Gone: only the job detail ``GET /v1/{project_id}/jobs/{job_id}`` answering RES's code ``RES.1001`` for that
job [INF: the real not-found code is undocumented]; a bare 404 is an error. A job is identified by its type
and id, so absence from ``GET /v1/{project_id}/jobs?type=...`` proves nothing (another type may hold the id):
the delete looks at that list once, and asks the detail only for the jobs not listed. A job the detail shows
under another type exists: it is reported failed (the delete as the asked type would fail), never gone.
When a call ends the run (an outage past its retries, refused credentials, an answer not understood), the
calls not yet sent are not sent: at most ``concurrency`` calls (and their retries) were in flight.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from functools import cached_property
from typing import Any

from airflow_provider_jobcleanup.answers import Answer, error_from_status, json_or_none, parse_answer, unexpected
from airflow_provider_jobcleanup.exceptions import (
    ApiError,
    AuthenticationError,
    InvalidInputError,
    JobBusyError,
    ends_run,
)
from airflow_provider_jobcleanup.hooks.huawei_res_answers import (
    DeleteAnswer,
    DetailAnswer,
    ListAnswer,
    ResDetailJob,
    ResJob,
    says_false,
)
from airflow_provider_jobcleanup.hooks.huaweicloud import HuaweiCloudHook
from airflow_provider_jobcleanup.hooks.paging import Listing, Page, select_matching, walk_pages
from airflow_provider_jobcleanup.hooks.times import epoch_ms, iso_8601
from airflow_provider_jobcleanup.models import (
    ALREADY_GONE,
    DELETED,
    DeletionReport,
    JobFilter,
    JobInfo,
    JobStatus,
    Outcome,
)
from airflow_provider_jobcleanup.specs import SERVICES

DEFAULT_ENDPOINT = "https://res.cn-north-4.myhuaweicloud.com"
TYPES = SERVICES["res"].param("type").choices
NEEDS_OFFLINE_PLATFORM = ("etl", "retrieval", "filter", "standard")
OFFLINE_PLATFORM_FIELDS = {"platform", "platform_parameter", "config_load_path", "computing_resource"}
NOT_FOUND_CODES = {"RES.1001"}
JOB_BUSY_CODES = {"RES.1024"}
AUTH_CODES = {"RES.5502", "RES.5503", "RES.5504", "RES.2301"}

PAGE_SIZE = 100


class ResHook(HuaweiCloudHook):
    """Deletes RES jobs of one type, ``concurrency`` calls at a time."""

    service = "res"
    endpoint_prefix = "res"
    hook_name = "Huawei Cloud RES"
    concurrency = 8
    batch_limit = 1
    job_id_pattern = re.compile(r"[A-Za-z0-9_-]{1,64}")
    #: the doc says 1-20 characters but its own example id has 32: up to 64 are accepted
    job_id_description = "1-64 letters, digits, '-' or '_'"
    job_id_allow_int = False
    #: ``job_status`` values [INF: RES does not document them; these are the ones its console shows]
    states = ("STARTING", "RUNNING", "SUCCEEDED", "FAILED", "STOPPED")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: requested jobs the last look found under another type than the one asked for (id -> its type)
        self._other_types: dict[str, str] = {}

    @cached_property
    def endpoint(self) -> str:
        url = self.extras.get("res_endpoint") or DEFAULT_ENDPOINT
        return self.checked_endpoint(url, "res_endpoint")

    # ----------------------------------------------------------------- validation
    def validate_params(self, params: Mapping[str, Any] | str) -> dict[str, Any]:
        params = super().validate_params(params)
        job_type = params["type"]
        platform = params.get("offline_platform")
        if platform is None:
            if job_type in NEEDS_OFFLINE_PLATFORM:
                raise InvalidInputError(
                    f"res type {job_type!r} needs offline_platform, e.g. {{'platform': 'DLI', "
                    "'platform_parameter': {'cluster_name': ...}, 'config_load_path': ...}"
                )
            return params
        if isinstance(platform, str):  # a template rendered without native objects
            try:
                platform = params["offline_platform"] = json.loads(platform)
            except ValueError:
                raise InvalidInputError("offline_platform must be a dict (or a JSON object string)") from None
        if not isinstance(platform, dict):
            raise InvalidInputError(f"offline_platform must be a dict, got {type(platform).__name__}")
        unknown = set(platform) - OFFLINE_PLATFORM_FIELDS
        if unknown:
            allowed = sorted(OFFLINE_PLATFORM_FIELDS)
            raise InvalidInputError(
                f"offline_platform has unknown fields {sorted(unknown)}; allowed: {allowed}"
            )
        if not isinstance(platform.get("platform"), str) or not platform["platform"]:
            raise InvalidInputError("offline_platform.platform must be the platform name, e.g. 'DLI'")
        if not isinstance(platform.get("platform_parameter"), dict):
            raise InvalidInputError(
                "offline_platform.platform_parameter must be a dict, e.g. {'cluster_name': ...}"
            )
        for name in ("config_load_path", "computing_resource"):
            if name in platform and not isinstance(platform[name], str):
                raise InvalidInputError(f"offline_platform.{name} must be a string")
        return params

    def parse_error(self, response: Answer) -> ApiError | None:
        """Huawei's gateway errors plus RES's own: ``is_success`` false (boolean or string) is an error
        whatever the HTTP status, and so is an ``error_code`` in a 200."""
        body = json_or_none(response)
        refused = isinstance(body, dict) and says_false(body.get("is_success"))
        error = super().parse_error(response)
        if error is None and refused:
            error = error_from_status(self.service, response)
        if error is None:
            return None
        code = (error.error_code or "").upper()
        if code in AUTH_CODES:
            return error.retyped(AuthenticationError)
        if code in JOB_BUSY_CODES:
            return error.retyped(JobBusyError, f"job cannot be deleted now: {error.message}")
        return error

    def _url(self, suffix: str) -> str:
        return self.project_url(f"/v1/{{project_id}}{suffix}")

    # ----------------------------------------------------------------- delete
    def _delete(self, job_ids: list[str], params: dict[str, Any], report: DeletionReport) -> None:
        job_type = params["type"]
        body_base: dict[str, Any] = {"type": job_type}
        if params.get("offline_platform") is not None:
            body_base["offline_platform"] = params["offline_platform"]
        to_send = []
        for job_id in job_ids:  # the look found these under another type: a delete as ``job_type`` would fail
            if job_id in self._other_types:
                report.record_failed(job_id, _other_type_reason(job_id, self._other_types[job_id], job_type))
            else:
                to_send.append(job_id)
        # Build the transport and resolve the project id once, before the threads start: a cached_property
        # is not thread-safe, so several threads would otherwise each build (and log in) on first use.
        self.transport  # noqa: B018
        url = self._url("/del-job")
        stop = threading.Event()  # set by the first error that ends the run: no thread sends anything after it
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="res-delete") as pool:
            futures = {
                pool.submit(self._delete_one, url, job_id, body_base, stop): job_id for job_id in to_send
            }
            wait(futures, return_when=FIRST_EXCEPTION)
            stop.set()
            for future in futures:  # after a fatal error: start nothing new
                future.cancel()
        # Leaving the pool waited for the calls in flight: record every outcome, including those that finished
        # after the fatal error (they may have deleted their job), before raising it.
        outcomes: dict[str, Outcome] = {}
        fatal: BaseException | None = None
        for future, job_id in futures.items():
            if future.cancelled():
                continue
            error = future.exception()
            if error is not None:
                fatal = fatal or error
            elif (result := future.result()) is not None:
                outcomes[job_id] = result
        for job_id in to_send:  # the report keeps the requested order; jobs never sent stay unaccounted
            if job_id in outcomes:
                report.record(job_id, outcomes[job_id])
        if fatal is not None:
            raise fatal

    def _delete_one(
        self, url: str, job_id: str, body_base: dict[str, Any], stop: threading.Event
    ) -> Outcome | None:
        """The outcome of deleting one job, or ``None`` when the run stopped before it was sent."""
        if stop.is_set():
            return None
        try:
            answer = self.transport.request("DELETE", url, json={"job_id": job_id, **body_base})
            parse_answer(answer, DeleteAnswer, self.service, "delete job")
        except ApiError as err:
            if ends_run(err):
                stop.set()
                raise
            if isinstance(err, JobBusyError):
                return Outcome.failure(str(err))
            # The look showed the job; a refusal counts as already_gone only if the detail now says not found.
            try:
                job = self._job_detail(job_id)
            except ApiError as check_err:
                if ends_run(check_err):
                    stop.set()
                    raise
                return Outcome.failure(f"{err}; checking whether the job still exists also failed: {check_err}")
            if job is None:
                return ALREADY_GONE
            if job.type != body_base["type"]:
                return Outcome.failure(_other_type_reason(job_id, job.type, body_base["type"]))
            return Outcome.failure(str(err))
        except BaseException:
            stop.set()
            raise
        return DELETED

    # ----------------------------------------------------------------- status
    def _job_states(self, job_ids: list[str], **params: Any) -> dict[str, JobStatus]:
        """Jobs listed under ``type`` are present (one walk of that list, stopped once all are seen, or after
        its first page when looking up the rest costs fewer calls). Absence from that list proves nothing
        (another type may hold the id): each job not listed is decided by the detail call, whose RES.1001
        answer is the evidence of "gone". A job the detail shows under another type exists: not gone, and
        a delete as ``type`` would fail (remembered for the delete and the dry run)."""
        params = self.validate_params(params)
        job_type = params["type"]
        ids = [str(j) for j in job_ids]
        listing = self._listed(ids, job_type)
        states: dict[str, JobStatus] = {}
        other_types: dict[str, str] = {}
        for job_id in ids:
            row = listing.jobs.get(job_id)
            if row is not None and job_id not in listing.conflicts:
                states[job_id] = JobStatus(job_id, gone=False, state=row.state)
                continue
            job = self._job_detail(job_id)
            if job is None:
                states[job_id] = JobStatus(job_id, gone=True)
                continue
            if job.type != job_type:
                other_types[job_id] = job.type
            states[job_id] = JobStatus(job_id, gone=False, state=job.job_status)
        self._other_types = other_types
        return states

    def _listed(self, job_ids: Sequence[str], job_type: str) -> Listing:
        """The rows of ``job_type`` seen until every job is listed (or the first page, when fewer jobs are
        missing from it than pages remain: looking those up costs fewer calls)."""
        wanted = set(job_ids)
        listing = Listing()
        for index, page in enumerate(self._pages({"type": job_type})):
            listing.add(page)
            missing = wanted - listing.jobs.keys()
            if not missing:
                break
            if index == 0 and len(missing) < -(-page[1] // PAGE_SIZE) - 1:
                break
        return listing

    def dry_run_report(self, job_ids: Any, **params: Any) -> DeletionReport:
        """As the base, except that a job held under another type is not one a real run would delete: it is
        listed in ``failed`` with the reason a real run would give."""
        report = super().dry_run_report(job_ids, **params)
        job_type = self.validate_params(params)["type"]
        for job_id in [j for j in report.would_delete if j in self._other_types]:
            report.would_delete.remove(job_id)
            report.states.pop(job_id, None)
            report.record_failed(job_id, _other_type_reason(job_id, self._other_types[job_id], job_type))
        return report

    def _job_detail(self, job_id: str) -> ResDetailJob | None:
        """The job as the detail call shows it, or ``None`` when RES answers its not-found code for it."""
        try:
            answer = self.transport.request("GET", self._url(f"/jobs/{job_id}"))
        except ApiError as err:
            if (err.error_code or "").upper() in NOT_FOUND_CODES:
                return None
            raise
        job = parse_answer(answer, DetailAnswer, self.service, "job detail").job
        if job.job_id != job_id:
            raise unexpected(answer, self.service, "job detail", f"asked for job {job_id}, got job {job.job_id}")
        return job

    def _pages(self, query: dict[str, Any], page_size: int = PAGE_SIZE) -> Iterator[Page]:
        """The jobs of one ``type`` (``current-page`` starts at 1). Rows that say another type are not
        jobs of this list (a filter the server ignored): they are left out."""
        job_type = query["type"]

        def fetch(index: int) -> Page:
            answer = self.transport.request(
                "GET", self._url("/jobs"), params={**query, "current-page": index + 1, "page-size": page_size}
            )
            body = parse_answer(answer, ListAnswer, self.service, "list jobs")
            rows = [_job_info(job) for job in body.jobs if job.type in (None, job_type)]
            return rows, body.total_items

        return walk_pages(fetch, page_size, self.limits.max_pages, self.service)

    # ----------------------------------------------------------------- list
    def _list_jobs(self, job_filter: JobFilter, **params: Any) -> list[JobInfo]:
        """Every job of ``type`` matching the filter; one state is filtered by RES (``job-status``), the age
        (on ``operating_time`` [INF]) and the name pattern on this side (the state again too)."""
        params = self.validate_params(params)
        query: dict[str, Any] = {"type": params["type"]}
        if len(job_filter.states) == 1:
            query["job-status"] = job_filter.states[0]
        return select_matching(self._pages(query), job_filter, self.service)

    def check_access(self) -> str | None:
        calls = self.api_calls
        next(self._pages({"type": "etl"}, page_size=1), None)
        return self.proof(f"listed etl jobs of project {self.project_id}", calls)


def _other_type_reason(job_id: str, actual: str, asked: str) -> str:
    return f"job {job_id} is a {actual!r} job, not {asked!r}: not deleted (ask for type {actual!r})"


def _job_info(job: ResJob) -> JobInfo:
    return JobInfo(
        job_id=job.job_id,
        state=job.job_status,
        name=job.job_name,
        created_at=epoch_ms(job.operating_time) or iso_8601(job.operating_time),  # epoch ms or ISO 8601
    )
