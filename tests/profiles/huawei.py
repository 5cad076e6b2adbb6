"""Huawei Cloud test profiles (DLI, MRS, RES in both auth modes)."""

from __future__ import annotations

from typing import Any

from airflow_provider_jobcleanup.emulator.huawei_mrs import DEFAULT_CLUSTER_ID
from airflow_provider_jobcleanup.testing.connections import HUAWEI as IDENTITY
from airflow_provider_jobcleanup.testing.connections import aksk_connection, password_connection
from tests.emulator_client import EmulatorAdmin
from tests.profiles import ServiceProfile

__all__ = ["IDENTITY", "PROFILES", "RES_PARAMS", "aksk_connection", "password_connection"]

#: RES service parameters for the seeded (etl) jobs, with the seed's offline_platform fields
RES_PARAMS: dict[str, Any] = {
    "type": "etl",
    "offline_platform": {
        "platform": "DLI",
        "platform_parameter": {"cluster_name": "res_one"},
        "config_load_path": "obs://demo-bucket/res/config",
    },
}


def seed_mrs(admin: EmulatorAdmin, count: int) -> tuple[list[str], dict[str, Any]]:
    return admin.seed("mrs", count, state="FAILED"), {"cluster_id": DEFAULT_CLUSTER_ID}


def seed_dli(admin: EmulatorAdmin, count: int) -> tuple[list[str], dict[str, Any]]:
    return admin.seed("dli", count, state="job_running_exception"), {}


def seed_res(admin: EmulatorAdmin, count: int) -> tuple[list[str], dict[str, Any]]:
    return admin.seed("res", count, state="FAILED", attrs={"type": "etl"}), dict(RES_PARAMS)


PROFILES = [
    ServiceProfile("mrs-password", "mrs", "hw_mrs_password", password_connection, seed_mrs),
    ServiceProfile("mrs-aksk", "mrs", "hw_mrs_aksk", aksk_connection, seed_mrs),
    ServiceProfile("dli-password", "dli", "hw_dli_password", password_connection, seed_dli),
    ServiceProfile("dli-aksk", "dli", "hw_dli_aksk", aksk_connection, seed_dli),
    ServiceProfile("res-password", "res", "hw_res_password", password_connection, seed_res),
    ServiceProfile("res-aksk", "res", "hw_res_aksk", aksk_connection, seed_res),
]
