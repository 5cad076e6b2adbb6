"""Provider metadata read by Airflow through the ``apache_airflow_provider`` entry point.

Integrations, hook modules and each connection type's hook class come from the service declarations
(:mod:`airflow_provider_jobcleanup.services`). The connection forms (``conn-fields`` / ``ui-field-behaviour``),
one per connection type, are declared here so the UI needs no hook import.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_jobcleanup import __version__
from airflow_provider_jobcleanup.specs import SERVICES, conn_types


def _field(
    label: str,
    *,
    secret: bool = False,
    description: str = "",
    enum: list[str] | None = None,
    kind: str = "string",
    default: Any = None,
) -> dict[str, Any]:
    """One form field; ``default`` is what the code uses when the extra is absent (the form shows it)."""
    schema: dict[str, Any] = {"type": [kind, "null"]}
    if secret:
        schema["format"] = "password"
    if enum:
        schema["enum"] = enum
    if default is not None:
        schema["default"] = default
    field: dict[str, Any] = {"label": label, "schema": schema}
    if description:
        field["description"] = description
    return field


#: extras every connection type reads, with the defaults of ``connection_settings.py``
COMMON_FIELDS: dict[str, Any] = {
    "verify": _field(
        "TLS verification", default="true", description="true (default), false, or the path of a CA bundle"
    ),
    "allow_insecure_http": _field(
        "Allow plain http",
        kind="boolean",
        default=False,
        description="send credentials over http to a non-loopback host (never needed for the public clouds)",
    ),
    "connect_timeout": _field("Connect timeout (s)", kind="number", default=10),
    "read_timeout": _field(
        "Read timeout (s)", kind="number", default=60, description="longest silence between two reads ('timeout' too)"
    ),
    "attempt_timeout": _field(
        "Attempt timeout (s)", kind="number", default=120, description="longest one attempt, connect to last byte"
    ),
    "max_attempts": _field("Attempts per request", kind="integer", default=6, description="1 disables retries"),
    "retry_initial_wait": _field("First retry wait (s)", kind="number", default=0.5),
    "retry_max_wait": _field("Longest retry wait (s)", kind="number", default=20),
    "max_answer_bytes": _field(
        "Largest answer (bytes)", kind="integer", default=16 * 1024 * 1024, description="at least 1024"
    ),
    "max_list_pages": _field("Most pages of one listing", kind="integer", default=1000),
}


#: the form of each connection type a service declares: its name in the UI, field behaviour and extras
CONNECTION_FORMS: dict[str, dict[str, Any]] = {}

CONNECTION_FORMS["huaweicloud"] = {
    "hook-name": "Huawei Cloud (DLI, MRS, RES job cleanup)",
    "ui-field-behaviour": {
        "hidden-fields": ["host", "schema", "port"],
        "relabeling": {"login": "AK or IAM user name", "password": "SK or IAM password"},
        "placeholders": {"login": "access key id, or IAM user when auth_type is password"},
    },
    "conn-fields": {
        "auth_type": _field(
            "Auth type", enum=["aksk", "password"], default="aksk", description="aksk (default) or password"
        ),
        "domain_name": _field("Account (domain) name", description="needed for password auth"),
        "region": _field("Region", description="required, e.g. cn-north-4"),
        "project_id": _field("Project ID", description="required for aksk; resolved from the token for password"),
        "security_token": _field("Security token", secret=True, description="for temporary AK/SK"),
        "iam_endpoint": _field(
            "IAM endpoint", description="default https://iam.{region}.myhuaweicloud.com (OTC: *.otc.t-systems.com)"
        ),
        "dli_endpoint": _field("DLI endpoint", description="default https://dli.{region}.myhuaweicloud.com"),
        "mrs_endpoint": _field("MRS endpoint", description="default https://mrs.{region}.myhuaweicloud.com"),
        "res_endpoint": _field("RES endpoint", description="default https://res.cn-north-4.myhuaweicloud.com"),
        "cluster_id": _field(
            "MRS cluster ID (connection test)",
            description="Test lists this MRS cluster's jobs; when empty it lists the project's DLI Flink jobs",
        ),
        **COMMON_FIELDS,
    },
}

CONNECTION_FORMS["alibaba_ehpc"] = {
    "hook-name": "Alibaba Cloud E-HPC Instant (job cleanup)",
    "ui-field-behaviour": {
        "hidden-fields": ["host", "schema", "port"],
        "relabeling": {"login": "AccessKey ID", "password": "AccessKey Secret"},
        "placeholders": {"login": "LTAI...", "password": "AccessKey Secret"},
    },
    "conn-fields": {
        "region": _field("Region", description="e.g. cn-hangzhou"),
        "endpoint": _field("Endpoint", description="override, default https://ehpcinstant.{region}.aliyuncs.com"),
        "security_token": _field("Security token", secret=True, description="STS token for temporary AccessKeys"),
        "utc_offset_hours": _field(
            "UTC offset of answers (h)", kind="number", description="default 8 for cn-* regions, 0 elsewhere"
        ),
        **COMMON_FIELDS,
    },
}

CONNECTION_FORMS["scnet"] = {
    "hook-name": "SCNet (Sugon AC) HPC (job cleanup)",
    "ui-field-behaviour": {
        "hidden-fields": ["host", "schema", "port"],
        "relabeling": {"login": "Portal user", "password": "Password (password login)"},
        "placeholders": {"login": "SCNet portal user name"},
    },
    "conn-fields": {
        "org_id": _field("Org ID", description="offline-issued orgId, needed for password login"),
        "access_key": _field("Access key", description="AK for AK/SK login (preferred when set)"),
        "secret_key": _field("Secret key", secret=True, description="SK for AK/SK login"),
        "base_url": _field("AC base URL", default="https://api.scnet.cn", description="default https://api.scnet.cn"),
        "cluster_name": _field("Compute region", description="clusterName whose token to use"),
        "hpc_url": _field("HPC URL", description="override of the discovered hpcUrls entry"),
        "job_manager_id": _field("Job manager ID", description="override of the discovered scheduler id"),
        "compute_user": _field("Cluster user", description="override of the discovered cluster account"),
        **COMMON_FIELDS,
    },
}


def connection_types() -> list[dict[str, Any]]:
    """One entry per connection form; Airflow builds the hook class of the first service declared on that
    connection type to test such a connection."""
    served = conn_types()
    return [
        {"connection-type": conn_type, "hook-class-name": SERVICES[served[conn_type][0]].hook_class, **form}
        for conn_type, form in CONNECTION_FORMS.items()
    ]


#: the ``connection-types`` entries
CONNECTION_TYPES: list[dict[str, Any]] = connection_types()


def get_provider_info() -> dict[str, Any]:
    hook_modules = {spec.integration: [spec.hook_module] for spec in SERVICES.values()}
    integrations = sorted(hook_modules)
    return {
        "package-name": "airflow-provider-jobcleanup",
        "name": "Job Cleanup",
        "description": "Batch deletion of HPC and cloud jobs, with confirmation that they are gone.",
        "versions": [__version__],
        "integrations": [{"integration-name": name, "tags": ["service"]} for name in integrations],
        "hooks": [{"integration-name": name, "python-modules": modules} for name, modules in hook_modules.items()],
        "operators": [
            {"integration-name": name, "python-modules": ["airflow_provider_jobcleanup.operators.batch_delete"]}
            for name in integrations
        ],
        "sensors": [
            {"integration-name": name, "python-modules": ["airflow_provider_jobcleanup.sensors.jobs_gone"]}
            for name in integrations
        ],
        "triggers": [
            {"integration-name": name, "python-modules": ["airflow_provider_jobcleanup.triggers.jobs_gone"]}
            for name in integrations
        ],
        "connection-types": CONNECTION_TYPES,
        "extra-links": ["airflow_provider_jobcleanup.links.JobsConsoleLink"],
        "notifications": ["airflow_provider_jobcleanup.notifications.batch_delete.BatchDeleteJobsNotifier"],
    }
