"""SCNet (Sugon AC) HPC test profiles: password login on the discovered job manager, and AK/SK login on the
second job manager named explicitly."""

from __future__ import annotations

from typing import Any

from airflow_provider_jobcleanup.emulator.credentials import ScnetIdentity
from airflow_provider_jobcleanup.emulator.scnet import MANAGER_IDS
from tests.emulator_client import EmulatorAdmin
from tests.profiles import ServiceProfile

IDENTITY = ScnetIdentity()
REGION = IDENTITY.cluster_names[0]


def scnet_password_connection(url: str, **extra: Any) -> dict[str, Any]:
    """An ``scnet`` connection with password login (user, password, org id) pointed at the emulator."""
    return {
        "conn_type": "scnet",
        "login": IDENTITY.user,
        "password": IDENTITY.password,
        "extra": {
            "base_url": url,
            "org_id": IDENTITY.org_id,
            "cluster_name": REGION,
            "retry_initial_wait": 0.05,
            **extra,
        },
    }


def scnet_aksk_connection(url: str, **extra: Any) -> dict[str, Any]:
    """The same user with AK/SK login (no password)."""
    return {
        "conn_type": "scnet",
        "login": IDENTITY.user,
        "extra": {
            "base_url": url,
            "access_key": IDENTITY.access_key,
            "secret_key": IDENTITY.secret_key,
            "cluster_name": REGION,
            "retry_initial_wait": 0.05,
            **extra,
        },
    }


def seed_default_manager(admin: EmulatorAdmin, count: int) -> tuple[list[str], dict[str, Any]]:
    """Running jobs on the first (discovered) job manager; no service parameters needed."""
    return admin.seed("scnet", count, state="statR"), {}


def seed_second_manager(admin: EmulatorAdmin, count: int) -> tuple[list[str], dict[str, Any]]:
    """Queued jobs on the second job manager, addressed with ``job_manager_id``."""
    manager = MANAGER_IDS[1]
    ids = admin.seed("scnet", count, state="statQ", attrs={"job_manager_id": manager})
    return ids, {"job_manager_id": manager}


PROFILES = [
    ServiceProfile(
        "scnet-password", "scnet", "scnet_password", scnet_password_connection, seed_default_manager
    ),
    ServiceProfile("scnet-aksk", "scnet", "scnet_aksk", scnet_aksk_connection, seed_second_manager),
]
