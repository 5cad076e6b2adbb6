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
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from json import dumps as json_dumps
from typing import Any, NamedTuple, Protocol, runtime_checkable
from urllib.parse import quote_plus, urlsplit

import requests
import tenacity
from requests.adapters import HTTPAdapter
from requests.cookies import RequestsCookieJar, merge_cookies
from requests.sessions import merge_setting
from requests.structures import CaseInsensitiveDict
from requests.utils import check_header_validity, to_native_string

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
        # (input-validation fix: 0 or negative attempts, NaN or negative waits were accepted, and a wrong type gave
        # an error that did not name the extra or its value; see extra_number)
        return cls(
            max_attempts=int(extra_number(extras, "max_attempts", cls.max_attempts, integer=True, minimum=1)),
            initial_wait=extra_number(extras, "retry_initial_wait", cls.initial_wait),
            max_wait=extra_number(extras, "retry_max_wait", cls.max_wait),
        )


@dataclass(frozen=True)
class Timeouts:
    """Connect and read timeouts in seconds."""

    connect: float = 10.0
    read: float = 60.0

    @classmethod
    def from_extras(cls, extras: Mapping[str, Any]) -> Timeouts:
        # (input-validation fix: a zero/negative/NaN timeout reached requests and failed there with a raw
        # ValueError, or meant "wait forever")
        read_key = "read_timeout" if "read_timeout" in extras else "timeout"
        return cls(
            connect=extra_number(extras, "connect_timeout", cls.connect, positive=True),
            read=extra_number(extras, read_key, cls.read, positive=True),
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
    """A boolean extra. Security fix: ``bool("false")`` is ``True``, so a JSON string ``"false"`` for
    ``allow_insecure_http`` used to *allow* plain http; strings are now read as words, other types refused."""
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
    """The ``verify`` extra: on by default; ``false`` (bool or word) turns it off; any other string is a CA
    bundle path. (Fix: the strings ``"true"``/``"false"`` were taken as CA bundle paths, and a non-string,
    non-bool value reached requests.)"""
    value = extras.get("verify", True)
    if value is None or isinstance(value, bool):
        return True if value is None else value
    if isinstance(value, str) and value.strip():
        word = value.strip().lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        return value
    raise ConfigurationError(f"connection extra 'verify' must be true, false or a CA bundle path, got {value!r}")


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


# ----------------------------------------------------------------------------------------------- query strings
# Performance: the E-HPC RPC API carries a ~5 KB JSON ``JobSpec`` in the query string. requests encodes it
# with ``urlencode`` (a Python loop per byte in ``quote_from_bytes``), re-quotes the whole URL twice
# (``requote_uri`` and urllib3's ``_encode_invalid_chars``, per character again), and the ACS3 signer then
# decoded it (``parse_qsl``) and encoded it once more: four passes in Python over every byte. The query is
# now encoded once, with ``str.translate`` (C) for ASCII text, and handed to the signers already split.
_ALWAYS_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")
#: ``quote_plus(c, safe="")`` for every ASCII character (what ``urlencode`` produces, space as ``+``)
_FORM_TABLE = {
    code: (chr(code) if chr(code) in _ALWAYS_SAFE else "+" if code == 32 else f"%{code:02X}") for code in range(128)
}


#: the same as replacements applied in turn: ``%`` first (its escape adds ``%``), space last (its escape is ``+``)
_FORM_REPLACEMENTS = tuple(
    (chr(code), _FORM_TABLE[code])
    for code in [37, *(c for c in range(128) if c not in (32, 37) and chr(c) not in _ALWAYS_SAFE), 32]
)


def form_encode(value: str) -> str:
    """Exactly ``urllib.parse.quote_plus(value, safe="")`` (what ``urlencode`` does to each name and value).

    ASCII text is encoded in C: ``str.translate`` for short values, and for long ones (a 4 KB JSON
    ``JobSpec``: 27 us instead of 137 us) one ``str.replace`` per character that needs escaping.
    """
    if not value.isascii():
        return quote_plus(value, safe="")
    if len(value) < 256:
        return value.translate(_FORM_TABLE)
    for char, escaped in _FORM_REPLACEMENTS:
        if char in value:
            value = value.replace(char, escaped)
    return value


class EncodedQuery(NamedTuple):
    """A query string built by the transport, and the parameters it holds.

    ``text`` is byte for byte what requests' ``urlencode`` would have produced; ``pairs`` are
    ``(name, value, encoded name, encoded value)`` in order, the encoded forms being ``quote_plus``'s.
    The signers use ``pairs`` instead of parsing ``text`` back (when ``text`` is still the URL's query).
    """

    text: str
    pairs: list[tuple[str, str, str, str]]


def encode_query(params: Any) -> EncodedQuery | None:
    """The query requests would build from ``params`` (``None`` values dropped), or ``None`` when ``params``
    holds anything but string names and values (lists, numbers, bytes): requests then encodes it itself."""
    if not isinstance(params, dict):
        return None
    pairs: list[tuple[str, str, str, str]] = []
    for name, value in params.items():
        if value is None:
            continue
        if type(name) is not str or type(value) is not str:
            return None
        pairs.append((name, value, form_encode(name), form_encode(value)))
    return EncodedQuery("&".join(f"{p[2]}={p[3]}" for p in pairs), pairs)


class _Target(NamedTuple):
    """What the transport computes once per URL (without parameters)."""

    url: str  # requests' normalized form (``prepare_url``)
    plain: bool  # no query and no fragment: parameters can be appended as ``?query``
    proxies: dict[str, str]
    log_path: str  # host and path only (never the query)


_TARGET_CACHE_SIZE = 512


def _is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, ApiError) and exc.retryable


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
        # Performance: with trust_env on, requests scans the whole environment twice per request looking for
        # proxies (~20% of the client CPU of a small call; found by benchmarks/throughput.py). Read it once
        # instead, with requests' own functions: the same HTTP(S)_PROXY / NO_PROXY / CA-bundle behaviour,
        # resolved once per host (see _target). Side effect: ~/.netrc is no longer consulted (auth is explicit).
        self.session.trust_env = False
        self._env_proxies: dict[str, dict[str, str]] = {}
        self._targets: dict[str, _Target] = {}
        self._validated_headers: tuple[tuple[tuple[str, Any], ...], tuple[tuple[str, Any], ...]] = ((), ())
        env_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        self._send_verify: bool | str = (env_bundle or True) if verify is True else verify
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

        Performance: the first attempt is sent directly; the tenacity loop (same stop, wait, retry and
        ``before_sleep`` as always) is only built when that attempt fails with a retryable error, and then
        counts it as its attempt 1, so ``max_attempts``, ``max_total_seconds`` and ``retries`` are unchanged.
        Building a ``tenacity.Retrying`` per call cost ~30 us, a tenth of the client CPU of a batched call.
        """
        parser = error_parser or self.error_parser
        started = time.monotonic()
        try:
            return self._send_with_reauth(method, url, params, json, data, headers, authenticate, parser)
        except ApiError as err:
            if not err.retryable or self.retry.max_attempts <= 1:
                raise
            first_error = err
        return self._retry_after_first(
            first_error, started, method, url, params, json, data, headers, authenticate, parser
        )

    def _retry_after_first(
        self,
        first_error: ApiError,
        started: float,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        json: Any,
        data: bytes | str | None,
        headers: Mapping[str, str] | None,
        authenticate: bool,
        parser: ErrorParser,
    ) -> requests.Response:
        """The tenacity loop, entered after a retryable first failure (which tenacity sees as attempt 1)."""
        policy = self.retry
        pending = [first_error]

        def attempt() -> requests.Response:
            if pending:
                raise pending.pop()
            return self._send_with_reauth(method, url, params, json, data, headers, authenticate, parser)

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(policy.max_attempts)
            | tenacity.stop_after_delay(policy.max_total_seconds - (time.monotonic() - started)),
            wait=self._wait,
            retry=tenacity.retry_if_exception(_is_retryable),
            before_sleep=lambda state: self._before_sleep(method, url, state),
            reraise=True,
        )
        return retrying(attempt)

    def _send_with_reauth(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        json: Any,
        data: bytes | str | None,
        headers: Mapping[str, str] | None,
        authenticate: bool,
        parser: ErrorParser,
    ) -> requests.Response:
        """One attempt; a 401 on a cached token drops the token and sends once more with a fresh one."""
        try:
            return self._send_once(method, url, params, json, data, headers, authenticate, parser)
        except AuthenticationError:
            if not (authenticate and isinstance(self.auth, RefreshableAuth)):
                raise
            log.info("%s: credential rejected for %s %s; re-authenticating once", self.service, method, _path(url))
            self.auth.invalidate()
            return self._send_once(method, url, params, json, data, headers, authenticate, parser)

    def _send_once(
        self,
        method: str,
        url: str,
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
        session = self.session
        try:
            target = self._target(url)
            prepared = self._prepare(method, url, target, params, json, data, headers, authenticate)
            response = session.send(
                prepared,
                timeout=(self.timeouts.connect, self.timeouts.read),
                verify=self._send_verify,
                proxies=merge_setting(target.proxies, session.proxies) if session.proxies else dict(target.proxies),
                stream=session.stream,
                cert=session.cert,
                allow_redirects=True,
            )
        except (requests.ConnectionError, requests.Timeout) as err:
            raise TransportError(f"{method} {_path(url)} failed: {type(err).__name__}", service=self.service) from err
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s: %s %s -> %s in %.3fs",
                self.service,
                method,
                target.log_path,
                response.status_code,
                time.monotonic() - started,
            )
        error = parser(response)
        if error is not None:
            raise error
        return response

    def _prepare(
        self,
        method: str,
        url: str,
        target: _Target,
        params: Mapping[str, Any] | None,
        json: Any,
        data: bytes | str | None,
        headers: Mapping[str, str] | None,
        authenticate: bool,
    ) -> requests.PreparedRequest:
        """The ``PreparedRequest`` that ``session.request`` would build, without its generic merging.

        Same steps and order as ``Session.prepare_request`` + ``PreparedRequest.prepare`` (method, URL,
        headers merged over the session's, cookies, body, auth, hooks), minus what cannot apply here: no
        ``files``, no netrc (``trust_env`` is off), query strings built once (see :func:`encode_query`). Any
        input outside that (session params, non-string parameters, a URL that already has a query) takes
        requests' own ``prepare_url``. JSON bodies are serialized compactly, once.
        """
        session = self.session
        p = requests.PreparedRequest()
        p.method = method.upper()
        query = None
        if not params and not session.params:
            p.url = target.url
        elif target.plain and not session.params and (query := encode_query(params)) is not None:
            p.url = f"{target.url}?{query.text}" if query.text else target.url
        else:
            p.prepare_url(url, merge_setting(params or {}, session.params))
            query = None
        if not headers:
            p.headers = self._session_headers()
        else:  # merged over the session's as merge_setting does (same order; None removes a default)
            merged = self._session_headers()
            merged.update(headers)
            given = {name.lower() for name in headers}
            p.headers = CaseInsensitiveDict()
            for name, value in merged.items():
                if value is None:
                    continue
                if name.lower() in given:  # the session's own headers were validated once
                    check_header_validity((name, value))
                p.headers[to_native_string(name)] = value
        if session.cookies:
            p.prepare_cookies(merge_cookies(RequestsCookieJar(), session.cookies))
        else:  # an empty jar adds no Cookie header; redirects still find a jar to update
            p._cookies = RequestsCookieJar()  # type: ignore[attr-defined]
        if data and not isinstance(data, (str, bytes)):
            p.prepare_body(data, None, None)  # a form mapping or a stream: requests' own encoding
        else:
            body: bytes | str | None = None
            content_type = None
            if data:
                body = data
            elif json is not None:
                try:
                    body = json_dumps(json, separators=(",", ":"), allow_nan=False).encode("utf-8")
                except ValueError as err:
                    raise requests.exceptions.InvalidJSONError(err, request=p) from err
                content_type = "application/json"
            p.prepare_content_length(body)
            if content_type and "content-type" not in p.headers:
                p.headers["Content-Type"] = content_type
            p.body = body
        if query is not None:
            p.jobcleanup_query = query  # type: ignore[attr-defined]  # read by the signers (auth/*.py)
        p.prepare_auth(self.auth if authenticate else None, url)
        if session.hooks.get("response"):
            p.prepare_hooks(session.hooks)
        return p

    def _session_headers(self) -> CaseInsensitiveDict[str]:
        """A fresh copy of the session's default headers, validated once (``prepare_headers`` validates every
        header of every request with regular expressions); validated again whenever they change."""
        items = tuple(self.session.headers.items())
        snapshot = self._validated_headers  # (the session's items, validated items): one attribute, thread-safe
        if items != snapshot[0]:
            probe = requests.PreparedRequest()
            probe.prepare_headers({k: v for k, v in items if v is not None})
            snapshot = self._validated_headers = (items, tuple(probe.headers.items()))
        fresh: CaseInsensitiveDict[str] = CaseInsensitiveDict()
        for name, value in snapshot[1]:
            fresh[name] = value
        return fresh

    def _target(self, url: str) -> _Target:
        """What is computed once per URL (without parameters): requests' normalized form, the proxies."""
        target = self._targets.get(url)
        if target is None:
            probe = requests.PreparedRequest()
            probe.prepare_url(url, None)
            normalized = probe.url or url
            parts = urlsplit(normalized)
            origin = f"{parts.scheme}://{parts.netloc}"
            proxies = self._env_proxies.get(origin)
            if proxies is None:
                proxies = self._env_proxies[origin] = requests.utils.get_environ_proxies(origin)
            target = _Target(
                url=normalized,
                plain="?" not in normalized and "#" not in normalized,
                proxies=proxies,
                log_path=f"{parts.netloc}{parts.path}",
            )
            if len(self._targets) >= _TARGET_CACHE_SIZE:
                self._targets.clear()
            self._targets[url] = target
        return target

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
