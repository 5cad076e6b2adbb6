"""The one path every HTTP call of the provider takes.

A hook owns one :class:`ApiTransport`. It holds the ``requests.Session`` (connection pooling), the timeouts,
the retry policy (one ``tenacity.Retrying`` per call: exponential backoff with jitter, ``Retry-After``
honoured), the single re-login after a 401, the translation of error answers into typed exceptions, the
request counter that reports show as ``api_calls``, and logging that never includes headers, bodies or query
strings (they can carry secrets).

It follows no redirect (a 3xx is an error naming the host it pointed to, so credentials never leave the
configured endpoint), reads every answer as a stream up to a size cap and a deadline per attempt, and hands
hooks an :class:`Answer`: the complete, bounded body with its status and headers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

import requests
import tenacity
from requests.adapters import HTTPAdapter

from airflow_provider_jobcleanup.answers import Answer, ErrorParser, default_error_parser
from airflow_provider_jobcleanup.connection_settings import AnswerLimits, RetryPolicy, Timeouts
from airflow_provider_jobcleanup.exceptions import (
    ApiError,
    AuthenticationError,
    ClockSkewError,
    RedirectRefusedError,
    TransportError,
    UnexpectedAnswerError,
)

log = logging.getLogger(__name__)

READ_CHUNK = 64 * 1024


@runtime_checkable
class RefreshableAuth(Protocol):
    """An auth whose credential can be dropped and fetched again (a cached token)."""

    def invalidate(self) -> None: ...


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, ApiError) and exc.retryable


class ApiTransport:
    """Session, timeouts, retry, error translation and request counting for one hook.

    :param service: service name used in errors and logs.
    :param auth: a ``requests`` auth (signer or token header) applied to every authenticated request.
    :param error_parser: maps an answer to an :class:`ApiError` (or ``None`` for success).
    :param retry: the retry policy.
    :param timeouts: connect, read and per-attempt timeouts.
    :param limits: the largest answer read.
    :param verify: TLS verification (on by default; a CA bundle path also works).
    :param pool_size: HTTP connections kept open, at least the hook's concurrency.
    """

    def __init__(
        self,
        service: str,
        *,
        auth: requests.auth.AuthBase | None = None,
        error_parser: ErrorParser | None = None,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        limits: AnswerLimits | None = None,
        verify: bool | str = True,  # pragma: no mutate (every hook passes it)
        pool_size: int = 10,  # pragma: no mutate (connections kept open: not observable)
    ) -> None:
        self.service = service
        self.auth = auth
        self.error_parser = error_parser or default_error_parser(service)
        self.retry = retry or RetryPolicy()
        self.timeouts = timeouts or Timeouts()
        self.limits = limits or AnswerLimits()
        self.verify = verify
        self.session = requests.Session()
        # not mutated: pool sizes and the adapter's no retries (requests' default too) change nothing a test can see
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(pool_size, 4), max_retries=0)  # pragma: no mutate
        self.session.mount("http://", adapter)  # pragma: no mutate
        self.session.mount("https://", adapter)  # pragma: no mutate
        self._lock = threading.Lock()
        self.calls = 0
        self.retries = 0

    def close(self) -> None:
        self.session.close()

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        authenticate: bool = True,
        error_parser: ErrorParser | None = None,
    ) -> Answer:
        """Send one logical request, retrying per the policy, and return the successful answer.

        Raises the typed :class:`ApiError` of the last attempt when it does not succeed.
        """
        parser = error_parser or self.error_parser
        policy = self.retry
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(policy.max_attempts) | tenacity.stop_after_delay(policy.max_total_seconds),
            wait=self._wait,
            retry=tenacity.retry_if_exception(_is_retryable),
            before_sleep=lambda state: self._before_sleep(method, url, state),
            reraise=True,
        )
        return retrying(self._send_with_reauth, method, url, params, json, headers, authenticate, parser)

    def _send_with_reauth(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        json: Any,
        headers: Mapping[str, str] | None,
        authenticate: bool,
        parser: ErrorParser,
    ) -> Answer:
        """One attempt; a 401 on a cached token drops the token and sends once more with a fresh one."""
        try:
            return self._send_once(method, url, params, json, headers, authenticate, parser)
        except AuthenticationError as err:
            if isinstance(err, ClockSkewError) or not (authenticate and isinstance(self.auth, RefreshableAuth)):
                raise
            log.info("%s: credential rejected for %s %s; re-authenticating once", self.service, method, _path(url))
            self.auth.invalidate()
            return self._send_once(method, url, params, json, headers, authenticate, parser)

    def _send_once(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        json: Any,
        headers: Mapping[str, str] | None,
        authenticate: bool,
        parser: ErrorParser,
    ) -> Answer:
        with self._lock:
            self.calls += 1
        started = time.monotonic()
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                json=json,
                headers=headers,
                auth=self.auth if authenticate else None,
                timeout=(self.timeouts.connect, self.timeouts.read),
                verify=self.verify,
                allow_redirects=False,
                stream=True,
            )
        except (requests.ConnectionError, requests.Timeout) as err:
            raise TransportError(f"{method} {_path(url)} failed: {type(err).__name__}", service=self.service) from err
        with response:
            if 300 <= response.status_code < 400:
                raise self._redirect_error(method, url, response)
            content = self._read_body(method, url, response, started)
            answer = Answer(response.status_code, response.headers, content, response.reason or "", url)
        log.debug(
            "%s: %s %s -> %s in %.3fs", self.service, method, _path(url), answer.status_code, time.monotonic() - started
        )
        error = parser(answer)
        if error is not None:
            raise error
        return answer

    def _read_body(self, method: str, url: str, response: requests.Response, started: float) -> bytes:
        """The whole body, read a chunk at a time (``read1``: whatever has arrived, so a server that drips
        bytes cannot hold the attempt past its deadline), refused past the size cap."""
        deadline = started + self.timeouts.attempt
        limit = self.limits.max_bytes
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise self._too_large(method, url, response.status_code)
        parts: list[bytes] = []
        size = 0
        try:
            while chunk := response.raw.read1(READ_CHUNK, decode_content=True):
                size += len(chunk)
                if size > limit:
                    raise self._too_large(method, url, response.status_code)
                if time.monotonic() > deadline:
                    raise TransportError(
                        f"{method} {_path(url)}: the answer was not complete within {self.timeouts.attempt:g}s",
                        service=self.service,
                        status_code=response.status_code,
                    )
                parts.append(chunk)
        except ApiError:
            raise
        except Exception as err:  # reset, read timeout, broken encoding: requests', urllib3's or the socket's
            raise TransportError(
                f"{method} {_path(url)}: reading the answer failed: {type(err).__name__}", service=self.service
            ) from err
        return b"".join(parts)

    def _too_large(self, method: str, url: str, status: int) -> UnexpectedAnswerError:
        return UnexpectedAnswerError(
            f"{method} {_path(url)}: the answer is larger than {self.limits.max_bytes} bytes "
            "(connection extra max_answer_bytes)",
            service=self.service,
            status_code=status,
        )

    def _redirect_error(self, method: str, url: str, response: requests.Response) -> RedirectRefusedError:
        location = response.headers.get("Location") or ""
        target = urlsplit(location).hostname or urlsplit(url).hostname or "?"
        return RedirectRefusedError(
            f"{method} {_path(url)} answered with a redirect to host {target!r}; redirects are not followed "
            "(credentials are only sent to the configured endpoint): check the endpoint in the connection",
            service=self.service,
            status_code=response.status_code,
        )

    def _wait(self, state: tenacity.RetryCallState) -> float:
        policy = self.retry
        backoff = tenacity.wait_exponential_jitter(
            initial=policy.initial_wait, max=policy.max_wait, jitter=policy.jitter
        )(state)
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return min(float(retry_after), policy.max_retry_after)
        return backoff

    def _before_sleep(self, method: str, url: str, state: tenacity.RetryCallState) -> None:
        with self._lock:
            self.retries += 1
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "%s: %s %s attempt %d/%d failed (%s); retrying in %.2fs",
            self.service,
            method,
            _path(url),
            state.attempt_number,
            self.retry.max_attempts,
            exc,
            wait,
        )


def _path(url: str) -> str:
    """Host and path only: query strings and bodies never reach the log."""
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path}"
