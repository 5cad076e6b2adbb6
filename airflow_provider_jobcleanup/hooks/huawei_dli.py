"""Huawei Cloud DLI Flink jobs: batch delete, status and listing.

API (v1.0): ``POST /v1.0/{project_id}/streaming/jobs/delete`` with ``{"job_ids": [12, 232]}`` (integers)
answers 200 with a JSON list of ``{"is_success", "message"}``, one per job in request order; ``is_success``
is the string ``"true"``/``"false"`` in the SDK's model and a boolean in the docs, so both are read.
Known codes: ``DLI.16001`` (HTTP 400) the job does not exist (``already_gone``), ``DLI.0999`` server error
(HTTP 400, retried like 429 ``APIGW.0308`` and 5xx). No batch limit is documented: batches of 100 [INF].

A failed batch is split in halves until each job's outcome is known (one missing id never hides the other
jobs' results). A job reported ``is_success: false`` is looked up once: if DLI no longer has it, it is
``already_gone``, otherwise it failed with DLI's message. An answer that does not give exactly one result per
job, or any success answer not of its model (:mod:`answers`), is an error: nothing is taken as deleted from it.

Gone: the job is absent from a listing proven complete / its detail answers ``DLI.16001`` (DLI has no deleted
state; ``DLI.16001`` is its only not-found answer). Job ids are positive integers; ints and digit strings are
accepted, anything else is refused before any request is sent; listed ids (``12``, ``"12"``, ``12.0``) compare
as integers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pydantic import field_validator

from airflow_provider_jobcleanup.answers import (
    Answer,
    AnswerModel,
    json_or_none,
    parse_answer,
    read_json,
    unexpected,
    validate,
)
from airflow_provider_jobcleanup.exceptions import (
    ApiError,
    NotFoundError,
    TransientServiceError,
    ends_run,
)
from airflow_provider_jobcleanup.hooks.batching import chunks, send_bisecting
from airflow_provider_jobcleanup.hooks.huaweicloud import HuaweiCloudHook
from airflow_provider_jobcleanup.hooks.paging import Page, select_matching, states_from_pages, walk_pages
from airflow_provider_jobcleanup.hooks.times import epoch_ms
from airflow_provider_jobcleanup.models import DeletionReport, JobFilter, JobInfo, JobStatus

JOB_NOT_FOUND = {"DLI.16001"}
RETRYABLE = {"DLI.0999"}

PAGE_SIZE = 100


def is_true(value: Any) -> bool:
    """DLI's ``is_success``: a boolean or the string ``"true"``/``"false"``."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def canonical_job_id(value: Any) -> str:
    """A DLI job id as the digits of its integer (``12``, ``"12"``, ``12.0`` and ``"12.0"`` are ``"12"``)."""
    if isinstance(value, bool):
        raise ValueError("a job id is an integer, not a boolean")
    number: float | int
    if isinstance(value, (int, float)):
        number = value
    elif isinstance(value, str):
        try:
            number = int(value.strip())
        except ValueError:
            number = float(value.strip())  # ValueError for anything not a number
    else:
        raise ValueError("a job id is an integer")
    if isinstance(number, float):
        if not number.is_integer():
            raise ValueError("a job id is an integer")
        number = int(number)
    if number <= 0:
        raise ValueError("a job id is a positive integer")
    return str(number)


class DliJobRow(AnswerModel):
    """One Flink job, in a listing or a detail answer."""

    job_id: str
    status: str
    name: str | None = None
    create_time: int | None = None

    @field_validator("job_id", mode="before")
    @classmethod
    def _canonical(cls, value: Any) -> str:
        return canonical_job_id(value)


class DliJobList(AnswerModel):
    total_count: int
    jobs: list[DliJobRow]


class DliListAnswer(AnswerModel):
    job_list: DliJobList


class DliDetailAnswer(AnswerModel):
    job_detail: DliJobRow


class DliDeleteResult(AnswerModel):
    """One job's result in a batch delete answer."""

    is_success: bool | str
    message: str | None = None

    @field_validator("is_success")
    @classmethod
    def _known(cls, value: bool | str) -> bool | str:
        if isinstance(value, str) and value.strip().lower() not in ("true", "false"):
            raise ValueError("is_success is neither true nor false")
        return value


class DliDeleteAnswer(AnswerModel):
    results: list[DliDeleteResult]


class DliHook(HuaweiCloudHook):
    """Deletes DLI Flink jobs of the connection's project. No service parameters."""

    service = "dli"
    endpoint_prefix = "dli"
    hook_name = "Huawei Cloud DLI"
    batch_limit = 100
    job_id_pattern = re.compile(r"[1-9][0-9]{0,18}")
    job_id_description = "a positive integer Flink job id such as 12 (an int or a string of digits)"
    job_id_allow_int = True
    #: Flink job ``status`` values (DLI API reference)
    states = (
        "job_init", "job_submitting", "job_submit_fail", "job_running", "job_running_exception",
        "job_downloading", "job_idle", "job_canceling", "job_cancel_success", "job_cancel_fail",
        "job_savepointing", "job_arrearage_stopped", "job_arrearage_recovering", "job_finish",
    )

    def canonical_id(self, job_id: str) -> str:
        return canonical_job_id(job_id)

    def parse_error(self, response: Answer) -> ApiError | None:
        """The gateway's errors (any status, a 2xx with an error code included), and DLI's own: a 2xx whose
        ``is_success`` is false. Either way DLI's codes then say what the error means."""
        body = json_or_none(response)
        if response.ok and isinstance(body, dict) and "is_success" in body and not is_true(body["is_success"]):
            code = body.get("error_code") or body.get("errorCode")
            error: ApiError | None = ApiError(
                str(body.get("message") or body.get("error_msg") or "is_success is false"),
                service=self.service,
                status_code=response.status_code,
                error_code=str(code) if code else None,
                request_id=response.headers.get("X-Request-Id"),
            )
        else:
            error = super().parse_error(response)
        if error is None or not error.error_code:
            return error
        if error.error_code in JOB_NOT_FOUND:
            return error.retyped(NotFoundError, f"job does not exist: {error.message}")
        if error.error_code in RETRYABLE:
            return error.retyped(TransientServiceError)
        return error

    def _url(self, suffix: str = "") -> str:
        return self.project_url(f"/v1.0/{{project_id}}/streaming/jobs{suffix}")

    # ----------------------------------------------------------------- delete
    def _delete(self, job_ids: list[str], params: dict[str, Any], report: DeletionReport) -> None:
        def send(batch: list[str]) -> list[DliDeleteResult]:
            response = self.transport.request("POST", self._url("/delete"), json={"job_ids": [int(i) for i in batch]})
            return self._delete_results(response, batch)

        def failed(batch: list[str], err: ApiError) -> None:
            if isinstance(err, NotFoundError):
                report.record_gone(batch)
            else:
                for job_id in batch:
                    report.record_failed(job_id, str(err))

        for chunk in chunks(job_ids, self.batch_limit):
            send_bisecting(
                chunk,
                send,
                on_success=lambda batch, results: self._record_results(batch, results, report),
                on_failure=failed,
            )

    def _delete_results(self, response: Answer, batch: list[str]) -> list[DliDeleteResult]:
        """The per-job results of a batch delete: a JSON list with exactly one result per job sent."""
        call = "delete jobs"
        body = read_json(response, self.service, call)
        results = validate({"results": body}, DliDeleteAnswer, response, self.service, call).results
        if len(results) != len(batch):
            raise unexpected(
                response, self.service, call, f"{len(results)} results for a batch of {len(batch)} jobs"
            )
        return results

    def _record_results(self, job_ids: list[str], results: list[DliDeleteResult], report: DeletionReport) -> None:
        for job_id, result in zip(job_ids, results, strict=True):
            if is_true(result.is_success):
                report.record_deleted([job_id])
            else:
                self._record_refusal(job_id, result.message or "DLI answered is_success=false", report)

    def _record_refusal(self, job_id: str, message: str, report: DeletionReport) -> None:
        # a look-up that fails on one job (not an error that ends the run) fails this job only
        try:
            gone = self._job_status(job_id).gone
        except ApiError as err:
            if ends_run(err):
                raise
            report.record_failed(job_id, f"[dli] {message}; checking whether the job still exists failed: {err}")
            return
        if gone:
            report.record_gone([job_id])
        else:
            report.record_failed(job_id, f"[dli] {message}")

    # ----------------------------------------------------------------- status
    def _job_states(self, job_ids: list[str], **params: Any) -> dict[str, JobStatus]:
        """One list call per page of the project's Flink jobs, or per-job lookups when those cost fewer."""
        self.validate_params(params)
        return states_from_pages(job_ids, self._pages({}), PAGE_SIZE, self._job_status)

    def _job_status(self, job_id: str) -> JobStatus:
        try:
            response = self.transport.request("GET", self._url(f"/{int(job_id)}"))
        except NotFoundError:
            return JobStatus(job_id, gone=True)
        detail = parse_answer(response, DliDetailAnswer, self.service, "job detail").job_detail
        if detail.job_id != self.canonical_id(job_id):
            raise unexpected(response, self.service, "job detail", "it describes another job")
        return JobStatus(job_id, gone=False, state=detail.status)

    def _pages(self, query: dict[str, Any], page_size: int = PAGE_SIZE) -> Iterator[Page]:
        """The project's Flink jobs, newest first (``offset`` counts rows)."""

        def fetch(index: int) -> Page:
            response = self.transport.request(
                "GET",
                self._url(),
                params={**query, "limit": page_size, "offset": index * page_size, "order": "desc"},
            )
            job_list = parse_answer(response, DliListAnswer, self.service, "list jobs").job_list
            return [_job_info(job) for job in job_list.jobs], job_list.total_count

        return walk_pages(fetch, page_size, self.limits.max_pages, self.service)

    # ----------------------------------------------------------------- list
    def _list_jobs(self, job_filter: JobFilter, **params: Any) -> list[JobInfo]:
        """Every Flink job matching the filter; one state is filtered by DLI (``status``), the age (on
        ``create_time``) and the name pattern on this side."""
        self.validate_params(params)
        query: dict[str, Any] = {}
        if len(job_filter.states) == 1:
            query["status"] = job_filter.states[0].lower()
        return select_matching(self._pages(query), job_filter, self.service)

    def console_url(self, params: Mapping[str, Any]) -> str | None:
        base = self._console_base()
        return f"{base}/dli/?region={self.region}#/main/jobs/flink" if base else None

    def check_access(self) -> str | None:
        """One signed, project-scoped read: the first row of the project's Flink job list."""
        calls = self.api_calls
        next(self._pages({}, page_size=1), None)
        return self.proof(f"listed Flink jobs of project {self.project_id}", calls)


def _job_info(job: DliJobRow) -> JobInfo:
    return JobInfo(job_id=job.job_id, state=job.status, name=job.name, created_at=epoch_ms(job.create_time))
