"""The token cache: fetched once, renewed before expiry, dropped after a 401 only if it is still the one
that failed."""

from __future__ import annotations

import time

from airflow_provider_jobcleanup.auth.token_cache import CachedTokenProvider, Token


class CountingProvider(CachedTokenProvider):
    def __init__(self, lifetime: float = 3600.0) -> None:
        super().__init__()
        self.fetches = 0
        self.lifetime = lifetime

    def _fetch(self, transport) -> Token:
        self.fetches += 1
        now = time.time()
        return Token(value=f"token-{self.fetches}", expires_at=now + self.lifetime, issued_at=now)


def test_token_is_cached_until_near_expiry():
    provider = CountingProvider()
    assert provider.token(None) == provider.token(None) == "token-1"
    short = CountingProvider(lifetime=0.2)
    short.token(None)
    time.sleep(0.2)  # within the last tenth of its life: renewed
    assert short.token(None) == "token-2"


def test_invalidate_drops_only_the_token_that_failed():
    provider = CountingProvider()
    first = provider.token(None)
    provider.invalidate(first)  # thread A saw a 401 with the first token
    second = provider.token(None)
    assert second != first
    provider.invalidate(first)  # thread B also saw a 401 with the first token: the new one is kept
    assert provider.token(None) == second
    provider.invalidate()  # unknown token: dropped
    assert provider.token(None) == "token-3"
