"""The README's table of filter states is the hooks' own list, service by service."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from airflow_provider_jobcleanup.services import SERVICES

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()
STATES_TABLE = README[README.index("The state words a `job_filter`") :]


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_readme_lists_exactly_the_states_the_hook_accepts(service):
    row = re.search(rf"^\| `{service}` \| (`.*)\|$", STATES_TABLE, re.MULTILINE)
    assert row is not None, f"no states row for {service}"
    listed = re.findall(r"`([^`]+)`", row.group(1).split("(`[INF]`")[0])
    assert listed == list(SERVICES[service].load_hook_class().states)
