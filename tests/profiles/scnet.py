"""SCNet (Sugon AC) HPC test profiles: password login on the discovered job manager, and AK/SK login on the
second job manager named explicitly."""

from __future__ import annotations

from typing import Any

from airflow_provider_jobcleanup.emulator.scnet import MANAGER_IDS
from airflow_provider_jobcleanup.testing.connections import SCNET as IDENTITY
from airflow_provider_jobcleanup.testing.connections import SCNET_REGION as REGION
from airflow_provider_jobcleanup.testing.connections import scnet_aksk_connection, scnet_password_connection
from tests.emulator_client import EmulatorAdmin
from tests.profiles import ServiceProfile

__all__ = ["IDENTITY", "PROFILES", "REGION", "scnet_aksk_connection", "scnet_password_connection"]


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
