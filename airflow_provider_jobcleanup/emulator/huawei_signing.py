"""The API gateway's check of AK/SK-signed (``SDK-HMAC-SHA256``) requests, for DLI, MRS and RES.

The signature is recomputed from the request as received (method, raw path, query, the headers named in
``SignedHeaders``, body) with the secret key of the access key named in ``Access=``. Rejections use the
gateway's documented shapes (HTTP 401, ``APIGW.0301``, ``Incorrect IAM authentication information: ...``
with ``error_msg``, ``error_code`` and ``request_id``):

* unknown access key: ``Get secretKey failed,ak:...,err:ak not exist``;
* wrong signature (wrong SK, or anything signed differently): ``verify aksk signature fail``;
* ``X-Sdk-Date`` missing, unparseable or more than 15 minutes away from now [INF: the message];
* a temporary access key without its ``X-Security-Token`` [INF: the message];
* ``host``, ``x-sdk-date``, and ``X-Security-Token`` / ``X-Project-Id`` when sent, not all in
  ``SignedHeaders`` (the official SDK signs every header it sends) [INF: the message].

``X-Project-Id`` must be present and name the project in the path, and that project must be the identity's
(403 ``APIGW.0302`` otherwise, as for a token of another project) [INF: the code]. The real gateway's lock
after five consecutive failures is not emulated: tests send wrong keys on purpose.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from airflow_provider_jobcleanup.auth.huawei_aksk import (
    DATE_FORMAT,
    canonical_request,
    parse_authorization,
    signature,
)
from airflow_provider_jobcleanup.emulator.http import Request, Response

if TYPE_CHECKING:
    from airflow_provider_jobcleanup.emulator.app import Emulator

MAX_SKEW = timedelta(minutes=15)
PREFIX = "Incorrect IAM authentication information: "


def gateway_error(status: int, code: str, message: str) -> Response:
    request_id = secrets.token_hex(16)
    return Response(
        status,
        {"error_msg": message, "error_code": code, "request_id": request_id},
        headers={"X-Request-Id": request_id},
    )


def _denied(message: str) -> Response:
    return gateway_error(401, "APIGW.0301", PREFIX + message)


def _masked(access_key: str) -> str:
    return access_key[:4] + "*" * max(0, len(access_key) - 4)


#: headers the gateway requires to be signed whenever they are sent (``host`` and ``x-sdk-date`` always)
SIGNED_WHEN_SENT = ("x-security-token", "x-project-id")


def required_signed(request: Request) -> list[str]:
    """The header names (lower case) that ``request`` must list in ``SignedHeaders``."""
    return ["host", "x-sdk-date", *(name for name in SIGNED_WHEN_SENT if request.header(name) is not None)]


class AkSkVerifier:
    """Callable ``(request, project_id) -> Response | None`` (``None``: the signature is valid)."""

    def __init__(self, emulator: Emulator) -> None:
        self.identity = emulator.credentials.huawei

    def _secret_for(self, access_key: str) -> tuple[str, bool] | None:
        """``(secret key, is temporary)`` of a known access key."""
        ident = self.identity
        if access_key == ident.access_key:
            return ident.secret_key, False
        if access_key == ident.temp_access_key:
            return ident.temp_secret_key, True
        return None

    def __call__(self, request: Request, project_id: str) -> Response | None:
        parsed = parse_authorization(request.header("authorization", "") or "")
        if parsed is None:
            return _denied("verify aksk signature fail, malformed Authorization header")
        access_key, signed, sig = parsed
        found = self._secret_for(access_key)
        if found is None:
            return _denied(f"Get secretKey failed,ak:{_masked(access_key)},err:ak not exist")
        secret_key, temporary = found
        if temporary and request.header("x-security-token") != self.identity.security_token:
            return _denied("verify security token fail, the temporary AK needs its X-Security-Token")
        sdk_date = request.header("x-sdk-date") or ""
        try:
            when = datetime.strptime(sdk_date, DATE_FORMAT).replace(tzinfo=timezone.utc)
        except ValueError:
            return _denied("verify aksk signature fail, X-Sdk-Date is missing or malformed")
        if abs(datetime.now(timezone.utc) - when) > MAX_SKEW:
            return _denied(
                "verify aksk signature fail, X-Sdk-Date is more than 15 minutes from the server time"
            )
        unsigned = [name for name in required_signed(request) if name not in signed]
        if unsigned:
            return _denied(f"verify aksk signature fail, header {unsigned[0]} must be signed")
        expected = signature(
            secret_key,
            sdk_date,
            canonical_request(
                request.method, request.path, request.query_pairs, request.headers, signed, request.body
            ),
        )
        if not hmac.compare_digest(expected, sig):
            return _denied("verify aksk signature fail")
        header_project = request.header("x-project-id")
        if not header_project:
            return _denied("X-Project-Id is required for this project-level API")
        if header_project != project_id or project_id != self.identity.project_id:
            return gateway_error(
                403, "APIGW.0302", "The project in X-Project-Id does not match the project in the URL"
            )
        return None


def register(emulator: Emulator) -> None:
    emulator.extensions["huawei_aksk_verifier"] = AkSkVerifier(emulator)
