"""pytest plugin (entry point ``pytest11``): the ``jobcleanup_emulator`` fixture for testing DAGs that use
this provider, with no cloud account.

* ``jobcleanup_emulator_process`` (session): one ``jobcleanup-emulator`` process on 127.0.0.1 and a free port,
  in its own process group, stopped with its group when the session ends.
* ``jobcleanup_emulator`` (per test): a :class:`~airflow_provider_jobcleanup.testing.kit.JobCleanupEmulator`
  on that process, reset first (no jobs, default clusters, no faults), whose ``use_connections()`` sets
  ``AIRFLOW_CONN_*`` variables for the test only.

Loading the plugin imports neither Airflow nor the emulator; only using a fixture starts anything.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_provider_jobcleanup.testing.kit import JobCleanupEmulator
from airflow_provider_jobcleanup.testing.process import EmulatorProcess


@pytest.fixture(scope="session")
def jobcleanup_emulator_process() -> Iterator[EmulatorProcess]:
    """The emulator process shared by the session's tests (``.url``, ``.port``)."""
    with EmulatorProcess() as process:
        yield process


@pytest.fixture
def jobcleanup_emulator(
    jobcleanup_emulator_process: EmulatorProcess, monkeypatch: pytest.MonkeyPatch
) -> JobCleanupEmulator:
    """The session's emulator, reset for this test; see :class:`JobCleanupEmulator`."""
    emulator = JobCleanupEmulator(jobcleanup_emulator_process.url, setenv=monkeypatch.setenv)
    emulator.reset()
    # tokens cached in this process belonged to the emulator's previous state
    from airflow_provider_jobcleanup.auth.token_cache import clear_shared_providers

    clear_shared_providers()
    return emulator
