"""Alibaba Cloud E-HPC Instant test profiles: whole-job deletion with a long-term AccessKey and with STS.

(Task/array/executor deletion leaves the job itself alive, which the shared Airflow tests would count as not
deleted; it is covered in ``tests/integration/test_alibaba_ehpc_hook.py``.)"""

from __future__ import annotations

from typing import Any

from airflow_provider_jobcleanup.emulator.credentials import AlibabaIdentity
from tests.emulator_client import EmulatorAdmin
from tests.profiles import ServiceProfile

IDENTITY = AlibabaIdentity()
REGION = "cn-hangzhou"


def ehpc_connection(url: str, **extra: Any) -> dict[str, Any]:
    """An ``alibaba_ehpc`` connection with the long-term demo AccessKey, pointed at the emulator."""
    return {
        "conn_type": "alibaba_ehpc",
        "login": IDENTITY.access_key_id,
        "password": IDENTITY.access_key_secret,
        "extra": {"region": REGION, "endpoint": url, "retry_initial_wait": 0.05, **extra},
    }


def ehpc_sts_connection(url: str) -> dict[str, Any]:
    """The same with temporary (STS) credentials and their security token."""
    spec = ehpc_connection(url, security_token=IDENTITY.security_token)
    spec["login"], spec["password"] = IDENTITY.sts_access_key_id, IDENTITY.sts_access_key_secret
    return spec


def seed_jobs(admin: EmulatorAdmin, count: int) -> tuple[list[str], dict[str, Any]]:
    """Failed jobs, deleted whole."""
    return admin.seed("ehpc", count, state="Failed"), {}


PROFILES = [
    ServiceProfile("ehpc-aksk", "ehpc", "ehpc_aksk", ehpc_connection, seed_jobs),
    ServiceProfile("ehpc-sts", "ehpc", "ehpc_sts", ehpc_sts_connection, seed_jobs),
]
