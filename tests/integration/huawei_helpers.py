"""Building Huawei hooks against the emulator with a real Airflow ``Connection`` object."""

from __future__ import annotations

from typing import Any

from airflow.sdk import Connection

from airflow_provider_jobcleanup.services import get_cleanup_hook
from airflow_provider_jobcleanup.testing.connections import to_connection
from tests.profiles.huawei import aksk_connection, password_connection


def connection_from(spec: dict[str, Any], conn_id: str = "test_conn") -> Connection:
    return to_connection(spec, conn_id)


def huawei_hook(service: str, url: str, **extra_overrides: Any):
    spec = password_connection(url)
    spec["extra"].update(extra_overrides)
    return get_cleanup_hook("test_conn", service, connection=connection_from(spec))


def aksk_hook(service: str, url: str, *, temporary: bool = False, **extra_overrides: Any):
    """A hook signing with the emulator's AK/SK (``temporary``: the STS key plus its security token)."""
    spec = aksk_connection(url, temporary=temporary)
    spec["extra"].update(extra_overrides)
    return get_cleanup_hook("test_conn", service, connection=connection_from(spec))
