"""Registers secrets with Airflow's log masker so they never appear in task logs.

Every secret the provider reads or obtains (secret keys, passwords, tokens, signatures) goes through
:func:`mask` as soon as it is known.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def mask(value: str | None, name: str | None = None) -> None:
    """Register ``value`` with Airflow's secret masker (no-op for empty values)."""
    if not value:
        return
    try:
        from airflow.sdk.log import mask_secret
    except ImportError:  # pragma: no cover - only outside Airflow
        return
    try:
        mask_secret(value, name)
    except Exception:  # the supervisor channel is absent outside a task; local masking still applied
        log.debug("secret registered locally only")
