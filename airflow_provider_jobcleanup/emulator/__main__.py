"""``python -m airflow_provider_jobcleanup.emulator``."""

import sys

from airflow_provider_jobcleanup.emulator.cli import main

sys.exit(main())
