"""Operator extra link to the service's console page for the jobs a task deleted.

Airflow computes the link in the worker right after the task ran (from the operator object that ran), and
stores it, so the web UI never imports hooks. The URL comes from the hook's ``console_url``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey


class JobsConsoleLink(BaseOperatorLink):
    """"Jobs console": the service's job list in its web console (empty where the service has none)."""

    name = "Jobs console"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        return getattr(operator, "console_url", None) or ""
