"""Tokens cached until shortly before they expire, shared by every hook of one process.

A token provider fetches a token through the calling hook's transport (so the fetch is retried and counted
like any other call), keeps it until ``refresh_margin`` before its expiry, and drops it on demand when a
service answers 401. Providers are shared per credential set, so 500 triggers polling with one connection
log in once, not 500 times.
"""

from __future__ import annotations

import hashlib
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import requests

from airflow_provider_jobcleanup.secrets import mask

if TYPE_CHECKING:
    from airflow_provider_jobcleanup.transport import ApiTransport


@dataclass(frozen=True)
class Token:
    """A bearer token, when it stops working and when it was obtained (epoch seconds)."""

    value: str
    expires_at: float
    issued_at: float = field(default_factory=time.time)


class CachedTokenProvider(ABC):
    """Fetches, caches and refreshes one token.

    :param refresh_margin: seconds before expiry at which a new token is fetched.
    """

    refresh_margin: float = 300.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._token: Token | None = None

    def token(self, transport: ApiTransport) -> str:
        """A valid token, fetched through ``transport`` when the cached one is missing or near expiry."""
        with self._lock:
            token = self._token
            if token is None or token.expires_at - self._margin(token) <= time.time():
                token = self._fetch(transport)
                mask(token.value)
                self._token = token
            return token.value

    def _margin(self, token: Token) -> float:
        """Refresh ``refresh_margin`` early, or a tenth of the lifetime for short-lived tokens."""
        return min(self.refresh_margin, max(0.0, (token.expires_at - token.issued_at) / 10))

    def invalidate(self, failed: str | None = None) -> None:
        """Forget the cached token after a 401, so the next call fetches a new one.

        :param failed: the token the rejected request carried. When another thread already replaced it, the
            new token is kept: eight requests in flight with an expired token cause one login, not eight.
        """
        with self._lock:
            if self._is_current(failed):
                self._token = None

    def _is_current(self, failed: str | None) -> bool:
        """Whether ``failed`` (``None``: unknown) is still the cached token. Call with the lock held."""
        return failed is None or (self._token is not None and self._token.value == failed)

    @abstractmethod
    def _fetch(self, transport: ApiTransport) -> Token:
        """Obtain a new token from the service."""


class TokenAuth(requests.auth.AuthBase):
    """Puts a cached token into a header; the transport calls :meth:`invalidate` after a 401."""

    def __init__(self, provider: CachedTokenProvider, transport_ref: TransportRef, header: str) -> None:
        self.provider = provider
        self.transport_ref = transport_ref
        self.header = header
        self._sent = threading.local()  # the token this thread's last request carried

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        value = self.provider.token(self.transport_ref.get())
        self._sent.value = value
        request.headers[self.header] = value
        return request

    def invalidate(self) -> None:
        """Called by the transport in the thread whose request was rejected."""
        self.provider.invalidate(getattr(self._sent, "value", None))


class TransportRef:
    """Late-bound reference to a transport (the auth is built before the transport that owns it)."""

    def __init__(self) -> None:
        self._transport: ApiTransport | None = None

    def set(self, transport: ApiTransport) -> None:
        self._transport = transport

    def get(self) -> ApiTransport:
        if self._transport is None:
            raise RuntimeError("token auth used before its transport was attached")
        return self._transport


_registry: dict[str, CachedTokenProvider] = {}
_registry_lock = threading.Lock()


def shared_provider(key_parts: tuple[str, ...], factory) -> CachedTokenProvider:
    """The process-wide provider for one credential set; ``key_parts`` are hashed, never stored raw."""
    key = hashlib.sha256("\x00".join(key_parts).encode()).hexdigest()
    with _registry_lock:
        provider = _registry.get(key)
        if provider is None:
            provider = _registry[key] = factory()
        return provider


def clear_shared_providers() -> None:
    """Forget every cached token (used by tests)."""
    with _registry_lock:
        _registry.clear()
