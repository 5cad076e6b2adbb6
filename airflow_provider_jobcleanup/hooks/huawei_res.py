"""Huawei Cloud RES (Recommender System) jobs: delete, status and listing through the V1 API of seed 004.

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

Gone: the job detail ``GET /v1/{project_id}/jobs/{job_id}`` answers ``is_success: false`` with ``RES.1001``
(RES's code for a job id it does not know [INF: the real not-found code is undocumented]) or HTTP 404, or the
job is absent from ``GET /v1/{project_id}/jobs?type=...`` (a job is identified by its type and id). A
delete that fails for a job that is gone by this definition counts as ``already_gone``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from datetime import datetime, timezone
from functools import cached_property
from typing import Any

import requests

from airflow_provider_jobcleanup.exceptions import (
    FATAL_ERRORS,
    ApiError,
    AuthenticationError,
    InvalidInputError,
    JobBusyError,
    NotFoundError,
)
from airflow_provider_jobcleanup.hooks.huaweicloud import HuaweiCloudHook
from airflow_provider_jobcleanup.hooks.paging import Page, select_matching, states_from_pages, walk_pages
from airflow_provider_jobcleanup.models import DeletionReport, JobFilter, JobInfo, JobStatus
from airflow_provider_jobcleanup.transport import error_from_status, json_or_none

DEFAULT_ENDPOINT = "https://res.cn-north-4.myhuaweicloud.com"
TYPES = ("etl", "retrieval", "filter", "ranking", "nearline", "standard", "evaluation")
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
    param_names = ("type", "offline_platform")

    @cached_property
    def endpoint(self) -> str:
        url = self.extras.get("res_endpoint") or DEFAULT_ENDPOINT
        return self.checked_endpoint(
            url,
            f"res_endpoint {url!r}",
        )

    # ----------------------------------------------------------------- validation
    def validate_params(self, params: Mapping[str, Any] | str) -> dict[str, Any]:
        params = super().validate_params(params)
        job_type = params.get("type")
        if job_type not in TYPES:
            raise InvalidInputError(f"res needs type, one of {list(TYPES)}; got {job_type!r}")
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

    def parse_error(self, response: requests.Response) -> ApiError | None:
        body = json_or_none(response)
        refused = isinstance(body, dict) and body.get("is_success") is False
        if response.ok and not refused:
            return None
        error = (
            super().parse_error(response) if not response.ok else error_from_status(self.service, response)
        )
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
        body_base: dict[str, Any] = {"type": params["type"]}
        if params.get("offline_platform") is not None:
            body_base["offline_platform"] = params["offline_platform"]
        # Build the transport and resolve the project id once, before the threads start: a cached_property
        # is not thread-safe, so several threads would otherwise each build (and log in) on first use.
        self.transport  # noqa: B018
        url = self._url("/del-job")
        with ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="res-delete") as pool:
            futures = {pool.submit(self._delete_one, url, job_id, body_base): job_id for job_id in job_ids}
            wait(futures, return_when=FIRST_EXCEPTION)
            for future in futures:  # after a fatal error: start nothing new
                future.cancel()
        # Leaving the pool waited for the calls in flight: record every outcome, including those that finished
        # after the fatal error (they may have deleted their job), before raising it.
        outcomes: dict[str, tuple[str, str]] = {}
        fatal: BaseException | None = None
        for future, job_id in futures.items():
            if future.cancelled():
                continue
            error = future.exception()
            if error is not None:
                fatal = fatal or error
            else:
                outcomes[job_id] = future.result()
        for job_id in job_ids:  # the report keeps the requested order
            if job_id not in outcomes:
                continue
            outcome, reason = outcomes[job_id]
            if outcome == "deleted":
                report.deleted.append(job_id)
            elif outcome == "already_gone":
                report.already_gone.append(job_id)
            else:
                report.failed[job_id] = reason
        if fatal is not None:
            raise fatal

    def _delete_one(self, url: str, job_id: str, body_base: dict[str, Any]) -> tuple[str, str]:
        try:
            self.transport.request("DELETE", url, json={"job_id": job_id, **body_base})
        except FATAL_ERRORS:
            raise
        except NotFoundError:
            return "already_gone", ""
        except ApiError as err:
            if err.retryable or isinstance(err, JobBusyError):
                return "failed", str(err)
            # RES does not document a not-found code: ask whether the job still exists.
            # (reliability fix: a re-check that itself fails after its retries fails this job only; raised,
            # it aborted the whole run, cancelled the other jobs and lost the report)
            try:
                gone = self._job_status(job_id).gone
            except FATAL_ERRORS:
                raise
            except ApiError as check_err:
                return "failed", f"{err}; checking whether the job still exists also failed: {check_err}"
            if gone:
                return "already_gone", ""
            return "failed", str(err)
        return "deleted", ""

    # ----------------------------------------------------------------- status
    def get_job_states(self, job_ids: Sequence[str], **params: Any) -> dict[str, JobStatus]:
        """One list call per page of the jobs of ``type``, or per-job lookups when those cost fewer calls."""
        params = self.validate_params(params)
        pages = self._pages({"type": params["type"]})
        return states_from_pages([str(j) for j in job_ids], pages, PAGE_SIZE, self._job_status)

    def _job_status(self, job_id: str) -> JobStatus:
        try:
            response = self.transport.request("GET", self._url(f"/jobs/{job_id}"))
        except NotFoundError:
            return JobStatus(job_id, gone=True)
        except FATAL_ERRORS:
            raise
        except ApiError as err:
            if (err.error_code or "").upper() in NOT_FOUND_CODES:
                return JobStatus(job_id, gone=True)
            raise
        job = (json_or_none(response) or {}).get("job") or {}
        return JobStatus(job_id, gone=False, state=job.get("job_status"))

    def _pages(self, query: dict[str, Any], page_size: int = PAGE_SIZE) -> Iterator[Page]:
        """The jobs of one ``type`` (``current-page`` starts at 1)."""

        def fetch(index: int) -> Page:
            response = self.transport.request(
                "GET", self._url("/jobs"), params={**query, "current-page": index + 1, "page-size": page_size}
            )
            body = json_or_none(response) or {}
            return [_job_info(job) for job in body.get("jobs") or []], int(body.get("total_items") or 0)

        return walk_pages(fetch, page_size)

    # ----------------------------------------------------------------- list
    def list_jobs(self, job_filter: JobFilter, **params: Any) -> list[JobInfo]:
        """Every job of ``type`` matching the filter; one state is filtered by RES (``job-status``), the age
        (on ``operating_time`` [INF]) and the name pattern on this side."""
        params = self.validate_params(params)
        query: dict[str, Any] = {"type": params["type"]}
        if len(job_filter.states) == 1:
            query["job-status"] = job_filter.states[0]
        return select_matching(self._pages(query), job_filter)

    def check_access(self) -> str | None:
        calls = self.api_calls
        next(self._pages({"type": "etl"}, page_size=1), None)
        return self.proof(f"listed etl jobs of project {self.project_id}", calls)


def _parse_time(value: Any) -> datetime | None:
    """``operating_time`` as epoch milliseconds (number or digits) or an ISO 8601 string."""
    if value is None or value == "":
        return None
    try:
        return datetime.fromtimestamp(int(value) / 1000, timezone.utc)
    except (TypeError, ValueError):
        pass
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _job_info(job: dict[str, Any]) -> JobInfo:
    return JobInfo(
        job_id=str(job.get("job_id")),
        state=job.get("job_status"),
        name=job.get("job_name"),
        created_at=_parse_time(job.get("operating_time")),
    )
