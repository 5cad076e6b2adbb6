"""Testing kit for DAGs that use this provider: the emulator as a process, its admin client, connections to it.

With pytest the ``jobcleanup_emulator`` fixture (:mod:`.pytest_plugin`, registered automatically) is all a
test needs; the pieces below serve other test runners and scripts.
"""

from airflow_provider_jobcleanup.testing.admin import EmulatorAdmin
from airflow_provider_jobcleanup.testing.connections import (
    AUTH_MODES,
    DEFAULT_CONN_IDS,
    emulator_connection,
    env_name,
    to_connection,
    to_env_json,
    to_uri,
)
from airflow_provider_jobcleanup.testing.kit import JobCleanupEmulator
from airflow_provider_jobcleanup.testing.process import EmulatorProcess, free_port

__all__ = [
    "AUTH_MODES",
    "DEFAULT_CONN_IDS",
    "EmulatorAdmin",
    "EmulatorProcess",
    "JobCleanupEmulator",
    "emulator_connection",
    "env_name",
    "free_port",
    "to_connection",
    "to_env_json",
    "to_uri",
]
