"""The times services put in their answers, one function per format.

Each function returns an aware UTC datetime, or ``None`` when the value is empty or not in its format (so
formats can be tried in turn with ``or``). A job whose age is unknown never matches an age filter, so
``None`` is also the answer for an epoch of 0 (how these APIs leave a time unset) and for a value out of
range.
"""

from __future__ import annotations

from datetime import datetime, timezone, tzinfo
from typing import Any

#: above this an epoch number is in milliseconds (1e11 seconds is the year 5138)
MS_THRESHOLD = 1e11


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip() if isinstance(value, str) else ""
    return float(text) if text.replace(".", "", 1).isdigit() else None


def _from_seconds(seconds: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(seconds, timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None


def epoch_ms(value: Any) -> datetime | None:
    """Epoch milliseconds, as a number or a string of digits (DLI, MRS, RES, SCNet)."""
    number = _number(value)
    return _from_seconds(number / 1000) if number else None


def epoch_s_or_ms(value: Any) -> datetime | None:
    """Epoch seconds or milliseconds, told apart by magnitude (E-HPC)."""
    number = _number(value)
    if not number:
        return None
    return _from_seconds(number / 1000 if number > MS_THRESHOLD else number)


def iso_8601(value: Any, naive_zone: tzinfo = timezone.utc) -> datetime | None:
    """ISO 8601 (``Z`` accepted, ``T`` or a space between date and time); a time without an offset is in
    ``naive_zone``."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=naive_zone)
    return parsed.astimezone(timezone.utc)


def local_text(value: Any, pattern: str, zone: tzinfo) -> datetime | None:
    """A ``strptime`` ``pattern`` read in ``zone`` (SCNet's Beijing-time ``yyyy-MM-dd HH:mm:ss``)."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value.strip(), pattern).replace(tzinfo=zone).astimezone(timezone.utc)
    except ValueError:
        return None


def to_local_text(moment: datetime, pattern: str, zone: tzinfo) -> str:
    """``moment`` written as ``pattern`` in ``zone``: what :func:`local_text` reads."""
    return moment.astimezone(zone).strftime(pattern)
