"""Huawei Cloud MRS job executions: batch delete, status and listing.

API (v2): ``POST /v2/{project_id}/clusters/{cluster_id}/job-executions/batch-delete`` with
``{"job_id_list": [...]}``; success is any 2xx with no body. Known codes, matched whatever the HTTP status
(the service is inconsistent about it): ``0176``/``0201`` the job does not exist (``already_gone``),
``12000003`` the cluster does not exist, ``0183`` the job is running, ``0202`` too many jobs being submitted
(retried). A failed batch is split in halves until each job's outcome is known, so one missing or running job
never hides the others' results.

Gone: the job execution is absent from a listing proven complete / its detail answers ``0176`` or ``0201``.
Every success answer read is checked against its model (:mod:`answers`); a 200 carrying an error code is
that error. A delete first looks which jobs exist, so an id the service silently accepts is never reported
``deleted``. Job execution UUIDs compare lower-case.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

from pydantic import field_validator

from airflow_provider_jobcleanup.answers import Answer, AnswerModel, expect_empty_or_json, parse_answer, unexpected
from airflow_provider_jobcleanup.exceptions import (
    ApiError,
    InvalidInputError,
    JobBusyError,
    NotFoundError,
    TransientServiceError,
    ends_run,
)
from airflow_provider_jobcleanup.hooks.batching import chunks, send_bisecting
from airflow_provider_jobcleanup.hooks.huawei_dli import DliHook
from airflow_provider_jobcleanup.hooks.huaweicloud import HuaweiCloudHook
from airflow_provider_jobcleanup.hooks.paging import Page, select_matching, states_from_pages, walk_pages
from airflow_provider_jobcleanup.hooks.times import epoch_ms
from airflow_provider_jobcleanup.models import DeletionReport, JobFilter, JobInfo, JobStatus

UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

JOB_NOT_FOUND = {"0176", "0201"}
CLUSTER_NOT_FOUND = {"12000003"}
JOB_RUNNING = {"0183"}
RETRYABLE = {"0202"}

PAGE_SIZE = 100


class MrsJobRow(AnswerModel):
    """One job execution, in a listing or a detail answer."""

    job_id: str
    job_state: str
    job_name: str | None = None
    submitted_time: int | None = None

    @field_validator("job_id")
    @classmethod
    def _canonical(cls, value: str) -> str:
        if not UUID.fullmatch(value):
            raise ValueError("job_id is not a UUID")
        return value.lower()


class MrsListAnswer(AnswerModel):
    total_record: int
    job_list: list[MrsJobRow]


class MrsDetailAnswer(AnswerModel):
    job_detail: MrsJobRow


class MrsHook(HuaweiCloudHook):
    """Deletes MRS job executions in one cluster.

    Service parameters: ``cluster_id`` (required), ``kill_running`` (default ``False``: a running job is
    reported as failed; ``True``: it is killed, then deleted).
    """

    service = "mrs"
    endpoint_prefix = "mrs"
    # Airflow builds this class for ``huaweicloud`` connections and lists it under this name
    hook_name = "Huawei Cloud (DLI, MRS, RES)"
    batch_limit = 100
    job_id_pattern = UUID
    job_id_description = "a job execution UUID such as 3c7a5a6e-2f0b-4d6b-9d0e-0f4b5c1e2a7d"
    job_id_allow_int = False
    #: ``job_state`` values (MRS API reference)
    states = ("FAILED", "KILLED", "NEW", "NEW_SAVING", "SUBMITTED", "ACCEPTED", "RUNNING", "FINISHED")

    # ----------------------------------------------------------------- validation
    def canonical_id(self, job_id: str) -> str:
        return job_id.lower()

    def validate_params(self, params: Mapping[str, Any] | str) -> dict[str, Any]:
        params = super().validate_params(params)
        if not UUID.fullmatch(params["cluster_id"]):
            raise InvalidInputError(f"mrs needs cluster_id, the MRS cluster UUID; got {params['cluster_id']!r}")
        return params

    def parse_error(self, response: Answer) -> ApiError | None:
        error = super().parse_error(response)
        if error is None or not error.error_code:
            # MRS can answer 202 or 200 for success; any 2xx is success.
            return error
        code = error.error_code
        if code in JOB_NOT_FOUND:
            return error.retyped(NotFoundError, f"job does not exist: {error.message}")
        if code in CLUSTER_NOT_FOUND:
            return error.retyped(ApiError, f"cluster does not exist: {error.message}")
        if code in JOB_RUNNING:
            return error.retyped(JobBusyError, f"job is running: {error.message}")
        if code in RETRYABLE:
            return error.retyped(TransientServiceError)
        return error

    def _jobs_url(self, cluster_id: str, suffix: str = "") -> str:
        return self.project_url(f"/v2/{{project_id}}/clusters/{cluster_id}/job-executions{suffix}")

    # ----------------------------------------------------------------- delete
    def _delete(self, job_ids: list[str], params: dict[str, Any], report: DeletionReport) -> None:
        cluster_id, kill_running = params["cluster_id"], params["kill_running"]

        def send(batch: list[str]) -> None:
            self._send_delete(cluster_id, batch)

        def failed(batch: list[str], err: ApiError) -> None:
            if err.error_code in CLUSTER_NOT_FOUND:
                raise err  # a wrong cluster id: every job would fail the same way
            if isinstance(err, NotFoundError):
                report.record_gone(batch)
            elif isinstance(err, JobBusyError) and kill_running and len(batch) == 1:
                self._kill_then_delete(batch[0], cluster_id, report)
            else:
                for job_id in batch:
                    report.record_failed(job_id, str(err))

        for chunk in chunks(job_ids, self.batch_limit):
            send_bisecting(
                chunk,
                send,
                on_success=lambda batch, _: report.record_deleted(batch),
                on_failure=failed,
                should_split=lambda err: not err.retryable and err.error_code not in CLUSTER_NOT_FOUND,
            )

    def _send_delete(self, cluster_id: str, batch: list[str]) -> None:
        """One batch delete; success is a 2xx with no body or a JSON body without an error code (a coded
        body is an error already, in :meth:`parse_error`)."""
        answer = self.transport.request(
            "POST", self._jobs_url(cluster_id, "/batch-delete"), json={"job_id_list": batch}
        )
        body = expect_empty_or_json(answer, self.service, "batch delete job executions")
        if body is not None and (not isinstance(body, dict) or {"error_msg", "errorMsg"} & body.keys()):
            raise unexpected(answer, self.service, "batch delete job executions", "a body that is not a success")

    def _kill_then_delete(self, job_id: str, cluster_id: str, report: DeletionReport) -> None:
        try:
            answer = self.transport.request("POST", self._jobs_url(cluster_id, f"/{job_id}/kill"))
            expect_empty_or_json(answer, self.service, "kill job execution")
            self._send_delete(cluster_id, [job_id])
        except NotFoundError:
            report.record_gone([job_id])
        except ApiError as err:
            if ends_run(err):
                raise
            report.record_failed(job_id, f"kill then delete failed: {err}")
        else:
            report.record_deleted([job_id])

    # ----------------------------------------------------------------- status
    def _job_states(self, job_ids: list[str], **params: Any) -> dict[str, JobStatus]:
        """One list call per page of the cluster's jobs, or per-job lookups when those cost fewer calls."""
        cluster_id = self.validate_params(params)["cluster_id"]
        return states_from_pages(
            job_ids, self._pages(cluster_id, {}), PAGE_SIZE, lambda job_id: self._job_status(cluster_id, job_id)
        )

    def _job_status(self, cluster_id: str, job_id: str) -> JobStatus:
        try:
            response = self.transport.request("GET", self._jobs_url(cluster_id, f"/{job_id}"))
        except NotFoundError:
            return JobStatus(job_id, gone=True)
        detail = parse_answer(response, MrsDetailAnswer, self.service, "job execution detail").job_detail
        if detail.job_id != job_id:
            raise unexpected(response, self.service, "job execution detail", "it describes another job")
        return JobStatus(job_id, gone=False, state=detail.job_state)

    def _pages(self, cluster_id: str, query: dict[str, Any], page_size: int = PAGE_SIZE) -> Iterator[Page]:
        """The cluster's job executions, newest first. ``offset`` is taken as a 1-based page number [INF: the
        docs are ambiguous]; :func:`walk_pages` stops safely under a row-offset reading too."""

        def fetch(index: int) -> Page:
            response = self.transport.request(
                "GET",
                self._jobs_url(cluster_id),
                params={**query, "limit": page_size, "offset": index + 1, "sort_by": "desc"},
            )
            body = parse_answer(response, MrsListAnswer, self.service, "list job executions")
            return [_job_info(job) for job in body.job_list], body.total_record

        return walk_pages(fetch, page_size, self.limits.max_pages, self.service)

    # ----------------------------------------------------------------- list
    def _list_jobs(self, job_filter: JobFilter, **params: Any) -> list[JobInfo]:
        params = self.validate_params(params)
        query: dict[str, Any] = {}
        if len(job_filter.states) == 1:
            query["job_state"] = job_filter.states[0].upper()
        if job_filter.older_than is not None:
            cutoff = datetime.now(timezone.utc) - job_filter.older_than
            query["submitted_time_end"] = int(cutoff.timestamp() * 1000)
        return select_matching(self._pages(params["cluster_id"], query), job_filter, self.service)

    def console_url(self, params: Mapping[str, Any]) -> str | None:
        base = self._console_base()
        cluster = params.get("cluster_id")
        if not base or not cluster:
            return None
        return f"{base}/mrs/?region={self.region}#/mrs/manager/clusterDetail/jobManagement?clusterId={cluster}"

    def check_access(self) -> str | None:
        """This class is the one Airflow builds to test a ``huaweicloud`` connection, which serves DLI, MRS and
        RES: with the ``cluster_id`` extra it reads one row of that MRS cluster's jobs; without, one row of the
        project's DLI Flink jobs (a project-scoped call that proves the AK/SK signature or token and the
        project; the MRS job list needs a cluster)."""
        cluster_id = self.extras.get("cluster_id")
        if not cluster_id:
            return DliHook(self.conn_id, connection=self.connection).check_access()
        calls = self.api_calls
        next(self._pages(str(cluster_id), {}, page_size=1), None)
        return self.proof(f"listed jobs of MRS cluster {cluster_id}", calls)


def _job_info(job: MrsJobRow) -> JobInfo:
    return JobInfo(job_id=job.job_id, state=job.job_state, name=job.job_name, created_at=epoch_ms(job.submitted_time))
