"""Alibaba Cloud E-HPC Instant test profiles: whole-job deletion with a long-term AccessKey and with STS.

(Task/array/executor deletion leaves the job itself alive, which the shared Airflow tests would count as not
deleted; it is covered in ``tests/integration/test_alibaba_ehpc_hook.py``.)"""

from __future__ import annotations

from typing import Any

from airflow_provider_jobcleanup.testing.connections import ALIBABA as IDENTITY
from airflow_provider_jobcleanup.testing.connections import EHPC_REGION as REGION
from airflow_provider_jobcleanup.testing.connections import ehpc_connection, ehpc_sts_connection
from tests.emulator_client import EmulatorAdmin
from tests.profiles import ServiceProfile

__all__ = ["IDENTITY", "PROFILES", "REGION", "ehpc_connection", "ehpc_sts_connection"]


def seed_jobs(admin: EmulatorAdmin, count: int) -> tuple[list[str], dict[str, Any]]:
    """Failed jobs, deleted whole."""
    return admin.seed("ehpc", count, state="Failed"), {}


PROFILES = [
    ServiceProfile("ehpc-aksk", "ehpc", "ehpc_aksk", ehpc_connection, seed_jobs),
    ServiceProfile("ehpc-sts", "ehpc", "ehpc_sts", ehpc_sts_connection, seed_jobs),
]
