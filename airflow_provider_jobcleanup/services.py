"""Which service a task talks to, and the service parameters it was given.

The services themselves are declared in :mod:`airflow_provider_jobcleanup.specs`. This module is imported at
DAG-parse time by the operator and sensor, so it holds names only: the hook classes are imported when a task
runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_jobcleanup.exceptions import ConfigurationError, InvalidInputError
from airflow_provider_jobcleanup.specs import (
    SERVICES,
    SINGLE_SERVICE_CONN_TYPES,
    Param,
    ServiceSpec,
    all_params,
    conn_types,
)

if TYPE_CHECKING:
    from airflow.sdk import Connection

    from airflow_provider_jobcleanup.hooks.base import JobCleanupHook

__all__ = [
    "SERVICES",
    "SINGLE_SERVICE_CONN_TYPES",
    "Param",
    "ServiceSpec",
    "all_params",
    "conn_types",
    "get_cleanup_hook",
    "get_spec",
    "merge_service_params",
    "resolve_service",
    "service_arguments",
]


def get_spec(service: str) -> ServiceSpec:
    try:
        return SERVICES[service]
    except (KeyError, TypeError):
        raise InvalidInputError(f"unknown service {service!r}; known services: {sorted(SERVICES)}") from None


def service_arguments(service: str | None, arguments: dict[str, Any], task_id: str) -> dict[str, Any]:
    """The service parameters among a task's keyword ``arguments`` (those not ``None``).

    The operator and sensor name every service parameter in their signatures, so that Airflow's
    ``.expand(cluster_id=[...])`` accepts them; they pass their ``locals()`` here. A parameter the named
    ``service`` does not take is refused at parse time, as is an unknown service.
    """
    given = {name: arguments[name] for name in sorted(all_params()) if arguments.get(name) is not None}
    if service is not None:
        spec = get_spec(service)
        wrong = sorted(set(given) - set(spec.param_names))
        if wrong:
            raise InvalidInputError(
                f"task {task_id!r}: service {service!r} does not take {wrong}; it takes {list(spec.param_names)}"
            )
    return given


def merge_service_params(given: dict[str, Any] | str | None, named: dict[str, Any], task_id: str) -> Any:
    """Combine ``service_params={...}`` with the keyword form; a template string is kept for rendering."""
    if given is None:
        return named
    if isinstance(given, str):
        if named:
            raise InvalidInputError(f"task {task_id!r}: pass service parameters either templated or by keyword")
        return given
    if not isinstance(given, dict):
        raise InvalidInputError(f"task {task_id!r}: service_params must be a dict, got {given!r}")
    clash = set(given) & set(named)
    if clash:
        raise InvalidInputError(f"task {task_id!r}: {sorted(clash)} given both in service_params and by keyword")
    return {**given, **named}


def resolve_service(service: str | None, conn_type: str | None) -> ServiceSpec:
    """The service a task talks to, checking it matches the connection's type."""
    if service is None:
        inferred = SINGLE_SERVICE_CONN_TYPES.get(conn_type or "")
        if inferred is None:
            served = sorted(s.name for s in SERVICES.values() if s.conn_type == conn_type)
            raise ConfigurationError(
                f"connection type {conn_type!r} serves several services {served}: pass service=..."
                if served
                else f"connection type {conn_type!r} is not one this provider knows; "
                f"expected one of {sorted(conn_types())}"
            )
        service = inferred
    spec = get_spec(service)
    if conn_type is not None and conn_type != spec.conn_type:
        raise ConfigurationError(
            f"service {service!r} needs a {spec.conn_type!r} connection, but the connection has type {conn_type!r}"
        )
    return spec


def get_cleanup_hook(conn_id: str, service: str | None = None, connection: Connection | None = None) -> JobCleanupHook:
    """Build the hook for ``service`` (inferred from the connection type when omitted)."""
    if connection is None and service is not None:
        spec = get_spec(service)
    else:
        if connection is None:
            from airflow.sdk import BaseHook

            connection = BaseHook.get_connection(conn_id)
        spec = resolve_service(service, connection.conn_type)
    return spec.load_hook_class()(conn_id, connection=connection)
