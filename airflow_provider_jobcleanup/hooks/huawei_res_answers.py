"""What each RES V1 call must answer on success (see :mod:`airflow_provider_jobcleanup.answers`).

``is_success`` is required on every answer and must say true (RES sends it as a boolean or, in places, as the
string ``"true"``); an answer that says false is an error, whatever its HTTP status.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from airflow_provider_jobcleanup.answers import AnswerModel

Success = Literal[True, "true"]


def says_false(value: object) -> bool:
    """Whether an ``is_success`` value says the call failed (``false`` or ``"false"``, any case)."""
    return value is False or (isinstance(value, str) and value.strip().lower() == "false")


class ResJob(AnswerModel):
    """A job row of the list, or the ``job`` of the detail. ``type`` is optional in list rows (the list is
    asked for one type); the detail must say it."""

    job_id: str = Field(min_length=1)
    job_status: str | None = None
    job_name: str | None = None
    type: str | None = None
    operating_time: int | str | None = None


class ResDetailJob(ResJob):
    type: str = Field(min_length=1)


class DeleteAnswer(AnswerModel):
    """``DELETE /v1/{project_id}/del-job``."""

    is_success: Success


class DetailAnswer(AnswerModel):
    """``GET /v1/{project_id}/jobs/{job_id}``."""

    is_success: Success
    job: ResDetailJob


class ListAnswer(AnswerModel):
    """``GET /v1/{project_id}/jobs?type=...``: the total is required (paging stops on it)."""

    is_success: Success
    jobs: list[ResJob]
    total_items: int = Field(ge=0)
