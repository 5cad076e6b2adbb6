"""Huawei Cloud AK/SK request signing (``SDK-HMAC-SHA256``) as a ``requests`` auth.

Why a signer of our own: the official ``huaweicloudsdkcore`` brings its own HTTP client, thread pool and retry
loop; this is stdlib (hashlib/hmac) plugged into the provider's single transport. The algorithm is the one
in ``huaweicloudsdkcore/signer/signer.py`` (tests compare both on hundreds of generated requests, and the
emulator verifies requests signed by the official SDK clients with the functions below):

* headers added before signing: ``X-Sdk-Date`` (``%Y%m%dT%H%M%SZ`` UTC), ``Host``, ``X-Project-Id`` and, for a
  temporary AK/SK, ``X-Security-Token``; a body that is not JSON gets ``X-Sdk-Content-Sha256:
  UNSIGNED-PAYLOAD``;
* canonical URI: the path unquoted, split on ``/``, every segment quoted (only ``~`` safe), and ending in
  ``/`` (in the canonical form only: the URL sent keeps its own path);
* canonical query: the decoded ``(name, value)`` pairs sorted, then quoted; the URL sent is rewritten to
  exactly this query, as the SDK does, so that what is signed is what is sent;
* signed headers: every header the signer was given, lower-cased and sorted, except names containing ``_``;
* ``CanonicalRequest = METHOD \\n URI \\n QUERY \\n name:value\\n... \\n SIGNED \\n hex(sha256(body))``;
* ``StringToSign = "SDK-HMAC-SHA256\\n" + X-Sdk-Date + "\\n" + hex(sha256(CanonicalRequest))``;
* ``Authorization: SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<a;b>, Signature=<hex hmac_sha256(SK, sts)>``.

The secret key, the security token and the signature are never logged (``__repr__`` hides them too).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

import requests

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
CONTENT_SHA256_HEADER = "X-Sdk-Content-Sha256"

_AUTHORIZATION = re.compile(
    r"^SDK-HMAC-SHA256\s+Access=(?P<access>[^,\s]+),\s*SignedHeaders=(?P<signed>[^,\s]+),\s*"
    r"Signature=(?P<signature>[0-9a-fA-F]+)\s*$"
)


def url_encode(value: str) -> str:
    """``quote(value, safe="~")``: everything but ``A-Z a-z 0-9 - _ . ~`` is percent-encoded."""
    return quote(value, safe="~")


def canonical_uri(path: str) -> str:
    """Every path segment re-encoded, with a trailing ``/`` added when missing."""
    uri = "/".join(url_encode(segment) for segment in unquote(path).split("/"))
    return uri if uri.endswith("/") else uri + "/"


def canonical_query(pairs: Iterable[tuple[str, str]]) -> str:
    """Decoded pairs sorted (name, then value) and then encoded, joined by ``&``."""
    return "&".join(f"{url_encode(k)}={url_encode(v)}" for k, v in sorted(pairs))


def signed_header_names(headers: Mapping[str, str]) -> list[str]:
    """Lower-cased, sorted names of the headers that are signed (names with ``_`` never are)."""
    return sorted(name.lower() for name in headers if "_" not in name)


def payload_hash(body: bytes | None, headers: Mapping[str, str]) -> str:
    """sha256 of the body; an empty body always hashes as empty, ``X-Sdk-Content-Sha256`` wins otherwise."""
    if not body:
        return EMPTY_SHA256
    for name, value in headers.items():
        if name.lower() == CONTENT_SHA256_HEADER.lower() and value:
            return str(value)
    return hashlib.sha256(body).hexdigest()


def canonical_request(
    method: str,
    path: str,
    pairs: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    signed: list[str],
    body: bytes | None,
) -> str:
    """The canonical request over the ``signed`` header names (values looked up case-insensitively)."""
    lowered = {name.lower(): str(value).strip() for name, value in headers.items()}
    block = "".join(f"{name}:{lowered.get(name, '')}\n" for name in signed)
    return "\n".join(
        (
            method.upper(),
            canonical_uri(path),
            canonical_query(pairs),
            block,
            ";".join(signed),
            payload_hash(body, headers),
        )
    )


def signature(secret_key: str, sdk_date: str, request: str) -> str:
    """Hex HMAC-SHA256 of the string to sign."""
    digest = hashlib.sha256(request.encode()).hexdigest()
    to_sign = f"{ALGORITHM}\n{sdk_date}\n{digest}"
    return hmac.new(secret_key.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


def authorization_header(access_key: str, signed: list[str], sig: str) -> str:
    return f"{ALGORITHM} Access={access_key}, SignedHeaders={';'.join(signed)}, Signature={sig}"


def parse_authorization(value: str) -> tuple[str, list[str], str] | None:
    """``(access_key, signed header names, signature)`` of an ``Authorization`` value, or ``None``."""
    match = _AUTHORIZATION.match(value or "")
    if match is None:
        return None
    return match["access"], match["signed"].split(";"), match["signature"].lower()


def sign_headers(
    access_key: str,
    secret_key: str,
    method: str,
    path: str,
    pairs: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes | None,
) -> str:
    """The ``Authorization`` value for a request whose signed headers are exactly ``headers``."""
    signed = signed_header_names(headers)
    request = canonical_request(method, path, pairs, headers, signed, body)
    sdk_date = next((str(v) for k, v in headers.items() if k.lower() == "x-sdk-date"), "")
    return authorization_header(access_key, signed, signature(secret_key, sdk_date, request))


def _body_bytes(body: bytes | str | None) -> bytes | None:
    if body is None:
        return None
    if isinstance(body, str):
        return body.encode()
    if isinstance(body, bytes):
        return body
    raise TypeError("HuaweiAkSkAuth cannot sign a streamed body")


class HuaweiAkSkAuth(requests.auth.AuthBase):
    """Signs each request with a permanent or temporary (``security_token``) Huawei Cloud AK/SK.

    :param access_key: the AK.
    :param secret_key: the SK (never logged).
    :param project_id: sent as ``X-Project-Id``; project-level services (DLI, MRS, RES) need it.
    :param security_token: the STS token of a temporary AK/SK, sent as ``X-Security-Token``.
    """

    def __init__(
        self, access_key: str, secret_key: str, project_id: str | None, security_token: str | None = None
    ) -> None:
        if not access_key or not secret_key:
            raise ValueError("HuaweiAkSkAuth needs an access key and a secret key")
        self.access_key = access_key
        self._secret_key = secret_key
        self.project_id = project_id
        self._security_token = security_token

    def __repr__(self) -> str:
        return f"HuaweiAkSkAuth(access_key={self.access_key!r}, project_id={self.project_id!r}, secret=***)"

    def __call__(self, r: requests.PreparedRequest, now: datetime | None = None) -> requests.PreparedRequest:
        parts = urlsplit(r.url or "")
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        body = _body_bytes(r.body)  # type: ignore[arg-type]
        sdk_date = now.strftime(DATE_FORMAT) if now is not None else time.strftime(DATE_FORMAT, time.gmtime())
        headers: dict[str, str] = {"X-Sdk-Date": sdk_date, "Host": parts.netloc}
        content_type = r.headers.get("Content-Type")
        if content_type:
            headers["Content-Type"] = content_type
            if not content_type.startswith(("application/json", "application/bson")):
                headers[CONTENT_SHA256_HEADER] = UNSIGNED_PAYLOAD
        if self.project_id:
            headers["X-Project-Id"] = self.project_id
        if self._security_token:
            headers["X-Security-Token"] = self._security_token
        r.headers.update(headers)
        r.headers["Authorization"] = sign_headers(
            self.access_key, self._secret_key, r.method or "GET", parts.path or "/", pairs, headers, body
        )
        # the URL sent carries exactly the query that was signed, as the official SDK does
        r.url = urlunsplit((parts.scheme, parts.netloc, parts.path, canonical_query(pairs), ""))
        return r
