"""The emulator's admin client and process for the suite, the demo, chaos runs and benchmarks: the package's
testing kit (:mod:`airflow_provider_jobcleanup.testing`), the same one users get."""

from airflow_provider_jobcleanup.testing.admin import EmulatorAdmin
from airflow_provider_jobcleanup.testing.process import EmulatorProcess, free_port

__all__ = ["EmulatorAdmin", "EmulatorProcess", "free_port"]
