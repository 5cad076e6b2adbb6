"""Per-service test profiles: how to connect to the emulator and how to seed deletable jobs.

Each ``tests/profiles/<family>.py`` module exports ``PROFILES: list[ServiceProfile]``; the Airflow-level tests
(operator, sensor in every mode, trigger) are parametrized over :func:`all_profiles`, so a new service gets
them by adding a profile.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.emulator_client import EmulatorAdmin


@dataclass(frozen=True)
class ServiceProfile:
    """
    :param name: test id, e.g. ``mrs-password`` (service plus auth mode).
    :param service: the ``service=`` value.
    :param conn_id: Airflow connection id used by the test DAGs.
    :param connection: emulator base URL -> connection dict (``conn_type``, ``login``, ``password``,
        ``extra``...), as ``AIRFLOW_CONN_*`` JSON accepts it.
    :param seed: ``(admin, count)`` -> ``(job_ids, service_params)``: seeds deletable jobs, returns their ids
        and the extra operator arguments needed to delete them.
    """

    name: str
    service: str
    conn_id: str
    connection: Callable[[str], dict[str, Any]]
    seed: Callable[[EmulatorAdmin, int], tuple[list[str], dict[str, Any]]]

    def env_var(self, emulator_url: str) -> tuple[str, str]:
        """``(AIRFLOW_CONN_<ID>, json)`` for this profile."""
        return f"AIRFLOW_CONN_{self.conn_id.upper()}", json.dumps(self.connection(emulator_url))


def all_profiles() -> list[ServiceProfile]:
    profiles: list[ServiceProfile] = []
    for module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        profiles.extend(importlib.import_module(f"{__name__}.{module}").PROFILES)
    return profiles
