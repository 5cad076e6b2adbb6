"""Emulated Huawei IAM (``POST /v3/auth/tokens``) and the token/signature check shared by DLI, MRS and RES.

Tokens are random strings remembered with their project and expiry (``huawei_token_ttl`` in the emulator
config, default 24 h). A wrong password gets IAM's 401; an unknown (forged) or expired token gets the API
gateway's 401 ``APIGW.0301``. AK/SK-signed requests are checked by the verifier registered under
``emulator.extensions["huawei_aksk_verifier"]`` (see ``huawei_signing``), if any.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from airflow_provider_jobcleanup.emulator.http import Request, Response

if TYPE_CHECKING:
    from airflow_provider_jobcleanup.emulator.app import Emulator

DEFAULT_TTL = 86400.0


class HuaweiIam:
    """Issued tokens and the checks the API gateway performs."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.identity = emulator.credentials.huawei
        self._lock = threading.Lock()
        self.tokens: dict[str, tuple[str, float]] = {}  # token -> (project_id, expires_at)
        self.issued_at: dict[str, float] = {}  # token -> when it was issued (for expire_all's older_than)
        self.issued = 0

    def issue(self, request: Request) -> Response:
        body = request.json() or {}
        try:
            identity = body["auth"]["identity"]
            user = identity["password"]["user"]
            name, password, domain = user["name"], user["password"], user["domain"]["name"]
            project = body["auth"]["scope"]["project"]
        except (KeyError, TypeError):
            return _keystone_error(400, "Bad Request", "The request body is malformed.")
        ident = self.identity
        if "password" not in identity.get("methods", []):
            return _keystone_error(400, "Bad Request", "Unsupported auth method.")
        if (name, password, domain) != (ident.user_name, ident.password, ident.domain_name):
            return _keystone_error(401, "Unauthorized", "The username or password is wrong.")
        if (
            project.get("id", ident.project_id) != ident.project_id
            or project.get("name", ident.project_name) != ident.project_name
        ):
            return _keystone_error(401, "Unauthorized", "The project does not exist or you have no access to it.")
        ttl = float(self.emulator.config.get("huawei_token_ttl", DEFAULT_TTL))
        token = "MIIemu" + secrets.token_urlsafe(48)
        now = time.time()
        with self._lock:
            self.tokens[token] = (ident.project_id, now + ttl)
            self.issued_at[token] = now
            self.issued += 1
        return Response(
            201,
            {
                "token": {
                    "methods": ["password"],
                    "expires_at": _iso(now + ttl),
                    "issued_at": _iso(now),
                    "project": {"id": ident.project_id, "name": ident.project_name},
                    "user": {"name": ident.user_name, "domain": {"name": ident.domain_name}},
                }
            },
            headers={"X-Subject-Token": token},
        )

    def authenticate(self, request: Request, project_id: str) -> Response | None:
        """``None`` when the request carries a valid token or signature for ``project_id``, else the 401/403."""
        token = request.header("x-auth-token")
        if token:
            with self._lock:
                entry = self.tokens.get(token)
            if entry is None:
                return _gateway_error(
                    401, "APIGW.0301", "Incorrect IAM authentication information: verify token failed"
                )
            if entry[1] <= time.time():
                return _gateway_error(401, "APIGW.0301", "Incorrect IAM authentication information: token expires")
            if entry[0] != project_id:
                return _gateway_error(403, "APIGW.0302", "The IAM token does not belong to the project in the URL")
            return None
        authorization = request.header("authorization", "") or ""
        verifier: Callable[[Request, str], Response | None] | None = self.emulator.extensions.get(
            "huawei_aksk_verifier"
        )
        if authorization.startswith("SDK-HMAC-SHA256") and verifier is not None:
            return verifier(request, project_id)
        return _gateway_error(401, "APIGW.0301", "Incorrect IAM authentication information: no credentials")

    def expire_all(self, older_than: float = 0.0) -> None:
        cutoff = time.time() - older_than
        with self._lock:
            self.tokens = {
                t: (p, 0.0 if self.issued_at.get(t, 0.0) <= cutoff else expires)
                for t, (p, expires) in self.tokens.items()
            }

    def reset(self) -> None:
        with self._lock:
            self.tokens.clear()
            self.issued_at.clear()
            self.issued = 0


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _keystone_error(status: int, title: str, message: str) -> Response:
    return Response(status, {"error": {"code": status, "title": title, "message": message}})


def _gateway_error(status: int, code: str, message: str) -> Response:
    return Response(status, {"error_code": code, "error_msg": message}, headers={"X-Request-Id": secrets.token_hex(16)})


def iam(emulator: Emulator) -> HuaweiIam:
    """The IAM state of ``emulator`` (created by :func:`register`)."""
    return emulator.extensions["huawei_iam"]


def register(emulator: Emulator) -> None:
    state = HuaweiIam(emulator)
    emulator.extensions["huawei_iam"] = state
    emulator.on_reset.append(state.reset)
    emulator.on_expire_tokens.append(state.expire_all)
    emulator.router.add("POST", r"/v3/auth/tokens", state.issue, name="iam.tokens", service="iam")
