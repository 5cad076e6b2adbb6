"""The one path every HTTP call of the provider takes.

A hook owns one :class:`ApiTransport`. It holds the ``requests.Session`` (connection pooling), the timeouts,
the retry policy (tenacity: exponential backoff with jitter, ``Retry-After`` honoured), the single re-login
after a 401, the translation of error answers into typed exceptions, the request counter that reports show
as ``api_calls``, and logging that never includes headers, bodies or query strings (they can carry secrets).
"""

from __future__ import annotations

import email.utils
import ipaddress
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

import requests
import tenacity
from requests.adapters import HTTPAdapter

from airflow_provider_jobcleanup.exceptions import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    NotFoundError,
    PermissionDeniedError,
    ThrottledError,
    TransientServiceError,
    TransportError,
)

log = logging.getLogger(__name__)

#: Turns an answer into the error it represents, or ``None`` when the answer is a success.
ErrorParser = Callable[[requests.Response], "ApiError | None"]


@runtime_checkable
class RefreshableAuth(Protocol):
    """An auth whose credential can be dropped and fetched again (a cached token)."""

    def invalidate(self) -> None: ...


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a request is retried.

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
        """Read ``max_attempts`` / ``retry_initial_wait`` / ``retry_max_wait`` from connection extras."""
        try:
            return cls(
                max_attempts=int(extras.get("max_attempts", cls.max_attempts)),
                initial_wait=float(extras.get("retry_initial_wait", cls.initial_wait)),
                max_wait=float(extras.get("retry_max_wait", cls.max_wait)),
            )
        except (TypeError, ValueError) as err:
            raise ConfigurationError(f"retry settings in the connection extras are not numbers: {err}") from err


@dataclass(frozen=True)
class Timeouts:
    """Connect and read timeouts in seconds."""

    connect: float = 10.0
    read: float = 60.0

    @classmethod
    def from_extras(cls, extras: Mapping[str, Any]) -> Timeouts:
        try:
            return cls(
                connect=float(extras.get("connect_timeout", cls.connect)),
                read=float(extras.get("read_timeout", extras.get("timeout", cls.read))),
            )
        except (TypeError, ValueError) as err:
            raise ConfigurationError(f"timeouts in the connection extras are not numbers: {err}") from err


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def json_or_none(response: requests.Response) -> Any:
    """The decoded JSON body, or ``None`` for an empty or non-JSON body."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def default_error_parser(service: str) -> ErrorParser:
    """Error parser for the common shapes: ``{error_code,error_msg}``, ``{errorCode,errorMsg}``,
    ``{code,message}``, ``{Code,Message,RequestId}``; the class follows from the HTTP status."""

    def parse(response: requests.Response) -> ApiError | None:
        if response.ok:
            return None
        return error_from_status(service, response)

    return parse


def error_fields(response: requests.Response) -> tuple[str | None, str, str | None]:
    """``(error_code, message, request_id)`` read leniently from an error answer."""
    body = json_or_none(response)
    code = message = request_id = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):  # Keystone: {"error": {...}}
        body = {"code": body["error"].get("code"), "message": body["error"].get("message")}
    if isinstance(body, dict):
        code = body.get("error_code") or body.get("errorCode") or body.get("Code") or body.get("code")
        message = (
            body.get("error_msg")
            or body.get("errorMsg")
            or body.get("Message")
            or body.get("message")
            or body.get("msg")
        )
        request_id = body.get("RequestId") or body.get("request_id")
    request_id = request_id or response.headers.get("X-Request-Id") or response.headers.get("x-acs-request-id")
    text = str(message) if message else (response.reason or "error")
    return (str(code) if code is not None else None), text, request_id


def error_from_status(service: str, response: requests.Response, *, message_prefix: str = "") -> ApiError:
    """Build the typed error that an HTTP status implies."""
    code, message, request_id = error_fields(response)
    status = response.status_code
    cls: type[ApiError]
    if status == 401:
        cls = AuthenticationError
    elif status == 403:
        cls = PermissionDeniedError
    elif status == 404:
        cls = NotFoundError
    elif status == 429:
        cls = ThrottledError
    elif status >= 500:
        cls = TransientServiceError
    else:
        cls = ApiError
    return cls(
        message_prefix + message,
        service=service,
        status_code=status,
        error_code=code,
        request_id=request_id,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
    )


def check_endpoint(url: str, *, allow_insecure_http: bool = False, what: str = "endpoint") -> str:
    """Refuse endpoints that would send credentials in clear text.

    ``https://`` is always accepted. ``http://`` only for loopback hosts (the bundled emulator) or when the
    connection explicitly sets ``allow_insecure_http``.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"{what} {url!r} is not an http(s) URL")
    if parts.scheme == "http" and not allow_insecure_http and not _is_loopback(parts.hostname):
        raise ConfigurationError(
            f"{what} {url!r} uses plain http to a non-loopback host; use https or set "
            "allow_insecure_http=true in the connection extras"
        )
    return url.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ApiTransport:
    """Session, timeouts, retry, error translation and request counting for one hook.

    :param service: service name used in errors and logs.
    :param auth: a ``requests`` auth (signer or token header) applied to every authenticated request.
    :param error_parser: maps an answer to an :class:`ApiError` (or ``None`` for success).
    :param retry: the retry policy.
    :param timeouts: connect/read timeouts.
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
        verify: bool | str = True,
        pool_size: int = 10,
    ) -> None:
        self.service = service
        self.auth = auth
        self.error_parser = error_parser or default_error_parser(service)
        self.retry = retry or RetryPolicy()
        self.timeouts = timeouts or Timeouts()
        self.verify = verify
        self.session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(pool_size, 4), max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
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
        data: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        authenticate: bool = True,
        error_parser: ErrorParser | None = None,
    ) -> requests.Response:
        """Send one logical request, retrying per the policy, and return the successful answer.

        Raises the typed :class:`ApiError` of the last attempt when it does not succeed.
        """
        parser = error_parser or self.error_parser
        policy = self.retry
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(policy.max_attempts) | tenacity.stop_after_delay(policy.max_total_seconds),
            wait=self._wait,
            retry=tenacity.retry_if_exception(lambda exc: isinstance(exc, ApiError) and exc.retryable),
            before_sleep=lambda state: self._before_sleep(method, url, state),
            reraise=True,
        )
        return retrying(
            self._send_with_reauth,
            method,
            url,
            params=params,
            json=json,
            data=data,
            headers=headers,
            authenticate=authenticate,
            parser=parser,
        )

    def _send_with_reauth(self, method: str, url: str, *, authenticate: bool, parser: ErrorParser, **kwargs):
        """One attempt; a 401 on a cached token drops the token and sends once more with a fresh one."""
        try:
            return self._send_once(method, url, authenticate=authenticate, parser=parser, **kwargs)
        except AuthenticationError:
            if not (authenticate and isinstance(self.auth, RefreshableAuth)):
                raise
            log.info("%s: credential rejected for %s %s; re-authenticating once", self.service, method, _path(url))
            self.auth.invalidate()
            return self._send_once(method, url, authenticate=authenticate, parser=parser, **kwargs)

    def _send_once(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None,
        json: Any,
        data: bytes | str | None,
        headers: Mapping[str, str] | None,
        authenticate: bool,
        parser: ErrorParser,
    ) -> requests.Response:
        with self._lock:
            self.calls += 1
        started = time.monotonic()
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                json=json,
                data=data,
                headers=dict(headers) if headers else None,
                auth=self.auth if authenticate else None,
                timeout=(self.timeouts.connect, self.timeouts.read),
                verify=self.verify,
            )
        except (requests.ConnectionError, requests.Timeout) as err:
            raise TransportError(f"{method} {_path(url)} failed: {type(err).__name__}", service=self.service) from err
        log.debug(
            "%s: %s %s -> %s in %.3fs",
            self.service,
            method,
            _path(url),
            response.status_code,
            time.monotonic() - started,
        )
        error = parser(response)
        if error is not None:
            raise error
        return response

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
