"""Keeps secrets out of logs, exceptions, reports and XCom.

Every secret the provider reads or obtains (secret keys, passwords, tokens, signatures) goes through
:func:`mask` as soon as it is known. That registers it with Airflow's log masker and with this process's own
list, which :func:`redact` applies to any text that came from a server (error messages can echo request
headers) before it reaches an exception, and so a log line, a report or XCom.
"""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)

#: shorter values are not replaced (they would mangle ordinary words); no credential is this short
MIN_SECRET_LENGTH = 4
#: the newest secrets kept for :func:`redact` (tokens are renewed; old ones are dropped first)
MAX_KNOWN_SECRETS = 2000

_known: dict[str, None] = {}
_lock = threading.Lock()


def mask(value: str | None, name: str | None = None) -> None:
    """Register ``value`` with Airflow's secret masker and with :func:`redact` (no-op for empty values)."""
    if not value:
        return
    if len(value) >= MIN_SECRET_LENGTH:
        with _lock:
            _known.pop(value, None)
            _known[value] = None
            while len(_known) > MAX_KNOWN_SECRETS:
                del _known[next(iter(_known))]
    try:
        from airflow.sdk.log import mask_secret
    except ImportError:  # pragma: no cover - only outside Airflow
        return
    try:
        mask_secret(value, name)
    except Exception:  # the supervisor channel is absent outside a task; local masking still applied
        log.debug("secret registered locally only")


def redact(text: str) -> str:
    """``text`` with every registered secret replaced by ``***`` (longest first, so no fragment is left)."""
    with _lock:
        secrets = sorted(_known, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "***")
    return text
