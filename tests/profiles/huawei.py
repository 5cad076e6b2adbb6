"""Huawei Cloud test profiles (DLI, MRS, RES in both auth modes)."""

from __future__ import annotations

from typing import Any

from airflow_provider_jobcleanup.emulator.credentials import HuaweiIdentity
from airflow_provider_jobcleanup.emulator.huawei_mrs import DEFAULT_CLUSTER_ID
from tests.emulator_client import EmulatorAdmin
from tests.profiles import ServiceProfile

IDENTITY = HuaweiIdentity()


def password_connection(url: str) -> dict[str, Any]:
    """A ``huaweicloud`` connection using IAM password auth against the emulator at ``url``."""
    return {
        "conn_type": "huaweicloud",
        "login": IDENTITY.user_name,
        "password": IDENTITY.password,
        "extra": {
            "auth_type": "password",
            "region": IDENTITY.project_name,
            "domain_name": IDENTITY.domain_name,
            "iam_endpoint": url,
            "dli_endpoint": url,
            "mrs_endpoint": url,
            "res_endpoint": url,
            "retry_initial_wait": 0.05,
        },
    }


def aksk_connection(url: str, *, temporary: bool = False) -> dict[str, Any]:
    """A ``huaweicloud`` connection signing with AK/SK (``temporary``: the STS key and its security token)."""
    spec = password_connection(url)
    extra = {k: v for k, v in spec["extra"].items() if k != "domain_name"}
    extra.update(auth_type="aksk", project_id=IDENTITY.project_id)
    if temporary:
        extra["security_token"] = IDENTITY.security_token
        login, password = IDENTITY.temp_access_key, IDENTITY.temp_secret_key
    else:
        login, password = IDENTITY.access_key, IDENTITY.secret_key
    return {"conn_type": "huaweicloud", "login": login, "password": password, "extra": extra}


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
