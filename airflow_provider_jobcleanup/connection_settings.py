"""Settings every connection type accepts in its extras: retries, timeouts, answer limits, TLS, plain http.

Each reader checks its value and names the extra and the value in the error, so a typo in a connection fails
the task before any request with a message that says what to fix.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_jobcleanup.exceptions import ConfigurationError


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently one request is retried.

    Retried: connection errors, timeouts, HTTP 429 and 5xx, and whatever a hook's error parser marks as
    retryable (for example a throttling code inside a 400). Never retried: other 4xx. A server's
    ``Retry-After`` wins over the computed backoff, capped at ``max_retry_after``.
    """

    max_attempts: int = 6
    initial_wait: float = 0.5
    max_wait: float = 20.0
    jitter: float = 0.5
    max_retry_after: float = 60.0
    max_total_seconds: float = 600.0

    @classmethod
    def from_extras(cls, extras: Mapping[str, Any]) -> RetryPolicy:
        """``max_attempts`` / ``retry_initial_wait`` / ``retry_max_wait`` from connection extras."""
        return cls(
            max_attempts=int(extra_number(extras, "max_attempts", cls.max_attempts, integer=True, minimum=1)),
            initial_wait=extra_number(extras, "retry_initial_wait", cls.initial_wait),
            max_wait=extra_number(extras, "retry_max_wait", cls.max_wait),
        )


@dataclass(frozen=True)
class Timeouts:
    """Seconds: to connect, between two reads of the socket, and for a whole attempt (connect to last byte).

    ``attempt`` bounds a server that keeps an answer alive by sending a byte now and then.
    """

    connect: float = 10.0
    read: float = 60.0
    attempt: float = 120.0

    @classmethod
    def from_extras(cls, extras: Mapping[str, Any]) -> Timeouts:
        read_key = "read_timeout" if "read_timeout" in extras else "timeout"
        return cls(
            connect=extra_number(extras, "connect_timeout", cls.connect, positive=True),
            read=extra_number(extras, read_key, cls.read, positive=True),
            attempt=extra_number(extras, "attempt_timeout", cls.attempt, positive=True),
        )


@dataclass(frozen=True)
class AnswerLimits:
    """Bounds on what one run reads: the size of one answer, the pages of one listing."""

    max_bytes: int = 16 * 1024 * 1024
    max_pages: int = 1000

    @classmethod
    def from_extras(cls, extras: Mapping[str, Any]) -> AnswerLimits:
        return cls(
            max_bytes=int(extra_number(extras, "max_answer_bytes", cls.max_bytes, integer=True, minimum=1024)),
            max_pages=int(extra_number(extras, "max_list_pages", cls.max_pages, integer=True, minimum=1)),
        )


def extra_number(
    extras: Mapping[str, Any],
    key: str,
    default: float,
    *,
    integer: bool = False,
    minimum: float = 0.0,
    positive: bool = False,
) -> float:
    """A finite number (or numeric string) from the connection extras; the error names the extra and value.
    ``null`` (what the Airflow UI form stores for a cleared field) means the default."""
    value = extras.get(key)
    if value is None:
        value = default
    number: float | None = None
    if not isinstance(value, bool) and isinstance(value, (int, float, str)):
        try:
            number = float(value)
        except ValueError:
            number = None
    if (
        number is None
        or number != number  # NaN
        or number in (float("inf"), float("-inf"))
        or number < minimum
        or (positive and number <= 0)
        or (integer and not number.is_integer())
    ):
        kind = "an integer" if integer else "a number"
        bound = f"greater than {minimum:g}" if positive else f"at least {minimum:g}"
        raise ConfigurationError(f"connection extra {key!r} must be {kind} {bound}, got {value!r}")
    return number


_TRUE = ("true", "yes", "on", "1")
_FALSE = ("false", "no", "off", "0", "")


def extra_flag(extras: Mapping[str, Any], key: str, default: bool = False) -> bool:
    """A boolean extra. JSON strings are read as words (``"false"`` is false); other types are refused."""
    value = extras.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    raise ConfigurationError(f"connection extra {key!r} must be true or false, got {value!r}")


def tls_verify(extras: Mapping[str, Any]) -> bool | str:
    """The ``verify`` extra: on by default; ``false`` (bool or word) turns it off; another string is a CA
    bundle path."""
    value = extras.get("verify", True)
    if value is None or isinstance(value, bool):
        return True if value is None else value
    if isinstance(value, str) and value.strip():
        word = value.strip().lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        return value
    raise ConfigurationError(f"connection extra 'verify' must be true, false or a CA bundle path, got {value!r}")


def check_endpoint(url: str, *, allow_insecure_http: bool = False, what: str = "endpoint") -> str:
    """Refuse endpoints that would send credentials in clear text.

    ``https://`` is always accepted. ``http://`` only for loopback hosts (the bundled emulator) or when the
    connection explicitly sets ``allow_insecure_http``.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"{what} {url!r} is not an http(s) URL")
    if parts.scheme == "http" and not allow_insecure_http and not is_loopback(parts.hostname):
        raise ConfigurationError(
            f"{what} {url!r} uses plain http to a non-loopback host; use https or set "
            "allow_insecure_http=true in the connection extras"
        )
    return url.rstrip("/")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
