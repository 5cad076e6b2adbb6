"""What the ``jobcleanup_emulator`` fixture hands a test: the admin client plus ready Airflow connections."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from airflow_provider_jobcleanup.testing.admin import EmulatorAdmin
from airflow_provider_jobcleanup.testing.connections import (
    DEFAULT_CONN_IDS,
    emulator_connection,
    env_name,
    to_connection,
    to_env_json,
    to_uri,
)

if TYPE_CHECKING:
    from airflow.sdk import Connection

SetEnv = Callable[[str, str], None]


class JobCleanupEmulator(EmulatorAdmin):
    """A running emulator: seed jobs and clusters, read their state, inject faults (see
    :class:`~airflow_provider_jobcleanup.testing.admin.EmulatorAdmin`), and get Airflow connections to it.

    Connection types and auth modes: ``huaweicloud`` (``password``, ``aksk``, ``aksk-temporary``),
    ``alibaba_ehpc`` (``aksk``, ``sts``; ``region=`` picks an E-HPC region), ``scnet`` (``password``,
    ``aksk``). Keyword arguments add or override extras.
    """

    def __init__(self, url: str, setenv: SetEnv | None = None) -> None:
        super().__init__(url)
        self._setenv = setenv

    def connection_spec(self, conn_type: str, auth: str | None = None, **extra: Any) -> dict[str, Any]:
        """The ``AIRFLOW_CONN_*`` JSON dict (``conn_type``, ``login``, ``password``, ``extra``)."""
        return emulator_connection(self.url, conn_type, auth, **extra)

    def connection(
        self, conn_type: str, auth: str | None = None, *, conn_id: str | None = None, **extra: Any
    ) -> Connection:
        """An ``airflow.sdk.Connection`` (id: the type's default, e.g. ``huaweicloud_default``)."""
        spec = self.connection_spec(conn_type, auth, **extra)
        return to_connection(spec, conn_id or DEFAULT_CONN_IDS[conn_type])

    def connection_uri(self, conn_type: str, auth: str | None = None, **extra: Any) -> str:
        """The connection as a URI, e.g. for ``airflow connections add ID --conn-uri URI``."""
        return to_uri(self.connection_spec(conn_type, auth, **extra))

    def connection_env(self, conn_id: str, conn_type: str, auth: str | None = None, **extra: Any) -> dict[str, str]:
        """``{"AIRFLOW_CONN_<CONN_ID>": json}`` for one connection."""
        return {env_name(conn_id): to_env_json(self.connection_spec(conn_type, auth, **extra))}

    def default_connections_env(self) -> dict[str, str]:
        """``AIRFLOW_CONN_*`` for ``huaweicloud_default``, ``alibaba_ehpc_default`` and ``scnet_default``,
        each in its type's default auth mode."""
        env: dict[str, str] = {}
        for conn_type, conn_id in DEFAULT_CONN_IDS.items():
            env.update(self.connection_env(conn_id, conn_type))
        return env

    def use_connection(self, conn_id: str, conn_type: str, auth: str | None = None, **extra: Any) -> None:
        """Make Airflow resolve ``conn_id`` to this emulator for the rest of the test (an ``AIRFLOW_CONN_*``
        variable, removed when the test ends)."""
        self._set(self.connection_env(conn_id, conn_type, auth, **extra))

    def use_connections(self) -> None:
        """:meth:`use_connection` for the three default connection ids (see :meth:`default_connections_env`)."""
        self._set(self.default_connections_env())

    def _set(self, env: dict[str, str]) -> None:
        if self._setenv is None:
            raise RuntimeError("use_connection() needs the pytest fixture; elsewhere use airflow_connections()")
        for name, value in env.items():
            self._setenv(name, value)

    @contextlib.contextmanager
    def airflow_connections(self, env: dict[str, str] | None = None) -> Iterator[dict[str, str]]:
        """Set ``AIRFLOW_CONN_*`` variables (default: :meth:`default_connections_env`) inside the ``with``
        block and restore the previous values after it."""
        env = self.default_connections_env() if env is None else env
        previous = {name: os.environ.get(name) for name in env}
        os.environ.update(env)
        try:
            yield env
        finally:
            for name, value in previous.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
