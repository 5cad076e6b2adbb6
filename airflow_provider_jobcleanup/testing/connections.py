"""Airflow connections that point at the emulator, for each connection type and authentication mode.

Each builder returns a connection *spec*: the dict ``AIRFLOW_CONN_<ID>`` accepts as JSON (``conn_type``,
``login``, ``password``, ``extra``). :func:`to_connection`, :func:`to_env_json` and :func:`to_uri` turn a spec
into an Airflow ``Connection``, a JSON value or a URI. The credentials are the emulator's documented demo
identities (:mod:`airflow_provider_jobcleanup.emulator.credentials`); they protect nothing.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from airflow_provider_jobcleanup.emulator.alibaba_ehpc import DEFAULT_REGION as EHPC_REGION
from airflow_provider_jobcleanup.emulator.credentials import AlibabaIdentity, HuaweiIdentity, ScnetIdentity

if TYPE_CHECKING:
    from airflow.sdk import Connection

HUAWEI = HuaweiIdentity()
ALIBABA = AlibabaIdentity()
SCNET = ScnetIdentity()
SCNET_REGION = SCNET.cluster_names[0]
#: retries against a local server need not wait long (the hooks' default first wait is longer)
FAST_RETRY = {"retry_initial_wait": 0.05}

#: connection type -> authentication modes, the first being the default
AUTH_MODES: dict[str, tuple[str, ...]] = {
    "huaweicloud": ("password", "aksk", "aksk-temporary"),
    "alibaba_ehpc": ("aksk", "sts"),
    "scnet": ("password", "aksk"),
}
#: the connection id each type's hooks use by default
DEFAULT_CONN_IDS = {
    "huaweicloud": "huaweicloud_default",
    "alibaba_ehpc": "alibaba_ehpc_default",
    "scnet": "scnet_default",
}


def password_connection(url: str, **extra: Any) -> dict[str, Any]:
    """``huaweicloud`` with IAM password auth; the emulator at ``url`` serves IAM, DLI, MRS and RES."""
    return {
        "conn_type": "huaweicloud",
        "login": HUAWEI.user_name,
        "password": HUAWEI.password,
        "extra": {
            "auth_type": "password",
            "region": HUAWEI.project_name,
            "domain_name": HUAWEI.domain_name,
            "iam_endpoint": url,
            "dli_endpoint": url,
            "mrs_endpoint": url,
            "res_endpoint": url,
            **FAST_RETRY,
            **extra,
        },
    }


def aksk_connection(url: str, *, temporary: bool = False, **extra: Any) -> dict[str, Any]:
    """``huaweicloud`` signing with AK/SK (``temporary``: the temporary AK/SK and its security token)."""
    spec = password_connection(url)
    settings = {k: v for k, v in spec["extra"].items() if k != "domain_name"}
    settings.update(auth_type="aksk", project_id=HUAWEI.project_id)
    if temporary:
        settings["security_token"] = HUAWEI.security_token
        login, password = HUAWEI.temp_access_key, HUAWEI.temp_secret_key
    else:
        login, password = HUAWEI.access_key, HUAWEI.secret_key
    return {"conn_type": "huaweicloud", "login": login, "password": password, "extra": {**settings, **extra}}


def ehpc_endpoint(url: str, region: str = EHPC_REGION) -> str:
    """The emulator's E-HPC endpoint for ``region`` (real endpoints: ``https://ehpcinstant.{region}.aliyuncs.com``)."""
    return f"{url}/regions/{region}"


def ehpc_connection(url: str, *, region: str = EHPC_REGION, **extra: Any) -> dict[str, Any]:
    """``alibaba_ehpc`` with the long-term AccessKey, for E-HPC ``region`` of the emulator."""
    return {
        "conn_type": "alibaba_ehpc",
        "login": ALIBABA.access_key_id,
        "password": ALIBABA.access_key_secret,
        "extra": {"region": region, "endpoint": ehpc_endpoint(url, region), **FAST_RETRY, **extra},
    }


def ehpc_sts_connection(url: str, *, region: str = EHPC_REGION, **extra: Any) -> dict[str, Any]:
    """``alibaba_ehpc`` with temporary (STS) credentials and their security token."""
    spec = ehpc_connection(url, region=region, security_token=ALIBABA.security_token, **extra)
    spec["login"], spec["password"] = ALIBABA.sts_access_key_id, ALIBABA.sts_access_key_secret
    return spec


def scnet_password_connection(url: str, **extra: Any) -> dict[str, Any]:
    """``scnet`` with password login (user, password, org id); job manager and cluster user are discovered."""
    return {
        "conn_type": "scnet",
        "login": SCNET.user,
        "password": SCNET.password,
        "extra": {"base_url": url, "org_id": SCNET.org_id, "cluster_name": SCNET_REGION, **FAST_RETRY, **extra},
    }


def scnet_aksk_connection(url: str, **extra: Any) -> dict[str, Any]:
    """``scnet`` with AK/SK login (no password)."""
    return {
        "conn_type": "scnet",
        "login": SCNET.user,
        "extra": {
            "base_url": url,
            "access_key": SCNET.access_key,
            "secret_key": SCNET.secret_key,
            "cluster_name": SCNET_REGION,
            **FAST_RETRY,
            **extra,
        },
    }


def emulator_connection(url: str, conn_type: str, auth: str | None = None, **extra: Any) -> dict[str, Any]:
    """The spec for ``conn_type`` (``huaweicloud``, ``alibaba_ehpc``, ``scnet``) in ``auth`` mode (see
    :data:`AUTH_MODES`; default: the first); ``extra`` overrides or adds extras (``region=`` for E-HPC)."""
    if conn_type not in AUTH_MODES:
        raise ValueError(f"unknown connection type {conn_type!r}; known: {sorted(AUTH_MODES)}")
    auth = auth or AUTH_MODES[conn_type][0]
    if auth not in AUTH_MODES[conn_type]:
        raise ValueError(f"{conn_type} connections support auth {AUTH_MODES[conn_type]}, not {auth!r}")
    if conn_type == "huaweicloud":
        if auth == "password":
            return password_connection(url, **extra)
        return aksk_connection(url, temporary=auth == "aksk-temporary", **extra)
    if conn_type == "alibaba_ehpc":
        return (ehpc_sts_connection if auth == "sts" else ehpc_connection)(url, **extra)
    return (scnet_aksk_connection if auth == "aksk" else scnet_password_connection)(url, **extra)


def env_name(conn_id: str) -> str:
    """``AIRFLOW_CONN_<CONN_ID>``: the environment variable Airflow reads connection ``conn_id`` from."""
    return f"AIRFLOW_CONN_{conn_id.upper()}"


def to_env_json(spec: dict[str, Any]) -> str:
    """The spec as the JSON value of an ``AIRFLOW_CONN_*`` variable."""
    return json.dumps(spec)


def to_connection(spec: dict[str, Any], conn_id: str) -> Connection:
    """The spec as an Airflow ``Connection`` (``airflow.sdk.Connection``)."""
    from airflow.sdk import Connection

    return Connection(
        conn_id=conn_id,
        conn_type=spec["conn_type"],
        login=spec.get("login"),
        password=spec.get("password"),
        host=spec.get("host"),
        extra=json.dumps(spec.get("extra", {})),
    )


def to_uri(spec: dict[str, Any], conn_id: str = "conn") -> str:
    """The spec as a connection URI (``scheme://login:password@/?extras``), the other ``AIRFLOW_CONN_*`` form."""
    return str(to_connection(spec, conn_id).get_uri())
