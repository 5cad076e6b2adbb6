"""What each SCNet success answer must be (pydantic models, checked by :func:`..answers.parse_answer`).

Every SCNet answer is ``{"code": "0", "msg": ..., "data": ...}``; the error parser has already turned a
non-zero ``code`` into an error, so these models describe ``data`` of a success.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from airflow_provider_jobcleanup.answers import AnswerModel

#: an id the service may send as a number or a string
Ident = int | str


def _text(value: Any) -> Any:
    """Ids arrive as numbers or strings; compare them as strings (``1638523853`` == ``"1638523853"``)."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class RegionToken(AnswerModel):
    clusterId: Ident | None = None
    clusterName: str | None = None
    token: str | None = None

    _ids = field_validator("clusterId", mode="before")(_text)


class LoginAnswer(AnswerModel):
    """``POST /ac/openapi/v2/tokens`` and ``/api/user/v3/tokens``: one token per region."""

    code: str
    data: list[RegionToken]


class RenewalAnswer(AnswerModel):
    """``POST /ac/openapi/v2/tokens/next``: the new token, as a string, ``{token}`` or a region list."""

    code: str
    data: str | RegionToken | list[RegionToken]


class Manager(AnswerModel):
    id: Ident
    text: str | None = None

    _ids = field_validator("id", mode="before")(_text)


class ClusterAnswer(AnswerModel):
    """``GET /hpc/openapi/v2/cluster``: the account's job managers (schedulers)."""

    code: str
    data: list[Manager]


class CenterAnswer(AnswerModel):
    """``GET /ac/openapi/v2/center``: the regions (a list, or one region object)."""

    code: str
    data: list[dict[str, Any]] | dict[str, Any]


class JobRow(AnswerModel):
    """One row of the realtime (``jobStatus``) or history (``jobState``) list."""

    jobId: Ident
    jobName: str | None = None
    jobStatus: str | None = None
    jobState: str | None = None
    user: str | None = None
    jobmanagerId: Ident | None = None
    jobSubmitTime: str | None = None
    jobStartTime: str | None = None

    _ids = field_validator("jobId", "jobmanagerId", mode="before")(_text)

    @property
    def state(self) -> str | None:
        return self.jobStatus or self.jobState


class JobPage(AnswerModel):
    total: int = Field(ge=0)
    rows: list[JobRow] = Field(alias="list")


class ListAnswer(AnswerModel):
    """``GET /hpc/openapi/v2/jobs`` and ``/historyjobs``: one page, with the total (required: without it
    the end of the listing cannot be told)."""

    code: str
    data: JobPage


class DetailAnswer(AnswerModel):
    """``GET /hpc/openapi/v2/jobs/{jobId}``: the job's fields."""

    code: str
    data: dict[str, Any]


class DeleteAnswer(AnswerModel):
    """``DELETE /hpc/openapi/v2/jobs``: one free-text message per job manager."""

    code: str
    data: dict[str, str]
