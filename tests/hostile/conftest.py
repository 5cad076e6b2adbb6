"""Fixtures of the hostile-server suite: every service profile behind a :class:`HostileServer`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from airflow.sdk import Connection

from airflow_provider_jobcleanup.hooks.base import JobCleanupHook
from airflow_provider_jobcleanup.services import get_cleanup_hook
from tests.hostile.toolkit import HostileServer
from tests.profiles import ServiceProfile, all_profiles

PROFILES = all_profiles()

#: connection extras that keep the misbehaving answers quick to give up on
FAST = {"retry_initial_wait": 0.01, "retry_max_wait": 0.02, "max_attempts": 3}


def hook_for(profile: ServiceProfile, url: str, **extra: Any) -> JobCleanupHook:
    """A hook of ``profile`` whose every endpoint is ``url``, with ``extra`` over its connection extras."""
    spec = profile.connection(url)
    spec["extra"] = {**spec.get("extra", {}), **FAST, **extra}
    connection = Connection(
        conn_id=profile.conn_id,
        conn_type=spec["conn_type"],
        login=spec.get("login"),
        password=spec.get("password"),
        extra=json.dumps(spec["extra"]),
    )
    return get_cleanup_hook(profile.conn_id, profile.service, connection=connection)


def secrets_of(profile: ServiceProfile, url: str) -> list[str]:
    """The secret values in ``profile``'s connection (passwords, secret keys, security tokens)."""
    spec = profile.connection(url)
    extra = spec.get("extra", {})
    values = [spec.get("password"), extra.get("secret_key"), extra.get("security_token")]
    return [v for v in values if isinstance(v, str) and v]


@pytest.fixture(params=PROFILES, ids=[p.name for p in PROFILES])
def profile(request) -> ServiceProfile:
    return request.param


@pytest.fixture
def hostile(emulator, emulator_url) -> Iterator[HostileServer]:
    """A hostile server in front of the (reset) emulator."""
    with HostileServer(emulator_url, host="127.0.0.2") as server:
        yield server


@pytest.fixture
def elsewhere() -> Iterator[HostileServer]:
    """Another host, with no emulator behind it: it answers ``{}`` and records what reached it."""
    with HostileServer(None, host="127.0.0.3") as server:
        yield server
