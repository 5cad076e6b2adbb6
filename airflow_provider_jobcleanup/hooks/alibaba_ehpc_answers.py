"""The success answers the E-HPC Instant hook reads (API 2023-07-01), as pydantic models.

Every field the hook relies on is required; ``TotalCount`` is optional because the SDK documents that it "may
not be returned" (a listing without it is never taken as complete). Anything else is an
:class:`~airflow_provider_jobcleanup.exceptions.UnexpectedAnswerError` (see
:mod:`~airflow_provider_jobcleanup.answers`).
"""

from __future__ import annotations

from pydantic import Field

from airflow_provider_jobcleanup.answers import AnswerModel


class DeleteJobsAnswer(AnswerModel):
    """``DeleteJobs``: ``{"RequestId": ...}``."""

    RequestId: str = Field(min_length=1)


class JobRow(AnswerModel):
    JobId: str = Field(min_length=1)
    Status: str = Field(min_length=1)
    JobName: str | None = None
    CreateTime: str | int | None = None


class ListJobsAnswer(AnswerModel):
    """``ListJobs``: one page of ``JobList`` and, maybe, ``TotalCount``."""

    JobList: list[JobRow]
    TotalCount: int | None = Field(default=None, ge=0)


class ExecutorRow(AnswerModel):
    ExecutorId: str = Field(min_length=1)
    Status: str = Field(min_length=1)


class ListExecutorsAnswer(AnswerModel):
    """``ListExecutors``: one page of ``Executors``; ``TotalCount`` is a string in the SDK model."""

    Executors: list[ExecutorRow]
    TotalCount: int | None = Field(default=None, ge=0)


class ExecutorState(AnswerModel):
    ArrayId: int
    Status: str = Field(min_length=1)


class TaskInfo(AnswerModel):
    TaskName: str
    ExecutorStatus: list[ExecutorState] = Field(default_factory=list)


class JobDetail(AnswerModel):
    JobId: str = Field(min_length=1)
    Status: str = Field(min_length=1)
    Tasks: list[TaskInfo] = Field(default_factory=list)


class GetJobAnswer(AnswerModel):
    """``GetJob``: ``JobInfo`` with the job's tasks and their executors."""

    JobInfo: JobDetail
