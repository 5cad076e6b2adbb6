"""A local server that speaks the five services' APIs on one port, for demos and tests.

Authentication is checked for real (IAM passwords and tokens, AK/SK signatures), answers use each service's
error shapes and quirks, jobs are seeded through admin endpoints, and faults can be injected. Start it with
``jobcleanup-emulator --host 127.0.0.1 --port PORT`` or :func:`start_in_thread`.
"""

from airflow_provider_jobcleanup.emulator.app import Emulator, start_in_thread

__all__ = ["Emulator", "start_in_thread"]
