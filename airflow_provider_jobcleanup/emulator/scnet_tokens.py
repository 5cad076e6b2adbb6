"""Emulated SCNet (Sugon AC) authentication: password (v2) and AK/SK (v3) login, renewal, token checks.

Tokens are real HS256 JWTs signed with a per-process secret, carrying ``expireTime`` (epoch ms, as a string
like the official example), ``clusterId``, ``user`` and ``computeUser``. The server keeps every token it
issued, so a forged, unknown, expired or reset token is refused. Errors are HTTP 200 with a body ``code``:
``10008`` for a missing/forged/expired token, ``10007`` when the user is frozen, ``10004`` for a refused login
(wrong password, org id, AK or signature, stale timestamp) [INF: the real login failure code is undocumented].

Config (``POST /_emulator/config``): ``scnet_token_ttl`` (seconds, default 86400), ``scnet_renew_window``
(seconds after expiry during which renewal works, default 86400), ``scnet_frozen`` (bool).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_jobcleanup.emulator.http import Request, Response

if TYPE_CHECKING:
    from airflow_provider_jobcleanup.emulator.app import Emulator

SERVICE = "scnet"
#: the platform region every login also returns (``clusterId`` 0, ``clusterName`` ac)
PLATFORM = ("0", "ac")
FIRST_REGION_ID = 11112
MAX_CLOCK_SKEW = 300


def code_error(code: str, msg: str) -> Response:
    """SCNet's error shape: HTTP 200, a non-zero string ``code``, ``msg``, ``data`` null."""
    return Response(200, {"code": code, "msg": msg, "data": None})


def ok(data: Any) -> Response:
    return Response(200, {"code": "0", "msg": "success", "data": data})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class IssuedToken:
    cluster_id: str
    cluster_name: str
    expires: float  # epoch seconds; lowered by "expire all"
    issued: float = field(default_factory=time.time)  # for expire_all's older_than


class ScnetTokens:
    """Issues and checks tokens for the one emulated SCNet identity."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.identity = emulator.credentials.scnet
        self._secret = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._issued: dict[str, IssuedToken] = {}
        self.regions = [PLATFORM] + [
            (str(FIRST_REGION_ID + i), name) for i, name in enumerate(self.identity.cluster_names)
        ]

    # ------------------------------------------------------------------ settings
    def _setting(self, name: str, default: float) -> float:
        return float(self.emulator.config.get(name, default))

    @property
    def frozen(self) -> bool:
        return bool(self.emulator.config.get("scnet_frozen"))

    # ------------------------------------------------------------------ issuing
    def _issue(self, cluster_id: str, cluster_name: str) -> str:
        now = time.time()
        expires = now + self._setting("scnet_token_ttl", 86400)
        claims = {
            "computeUser": self.identity.compute_user,
            "accountStatus": "Trial",
            "creator": "ac",
            "role": "1",
            "expireTime": str(int(expires * 1000)),
            "clusterId": cluster_id,
            "invoker": self.identity.org_id,
            "user": self.identity.user,
            "userId": "11655048541",
            "jti": secrets.token_hex(8),
        }
        head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signature = _b64(hmac.new(self._secret, f"{head}.{body}".encode(), hashlib.sha256).digest())
        token = f"{head}.{body}.{signature}"
        with self._lock:
            self._issued[token] = IssuedToken(cluster_id, cluster_name, expires)
        return token

    def _all_regions(self) -> list[dict[str, Any]]:
        return [
            {"clusterId": cid, "clusterName": name, "token": self._issue(cid, name)}
            for cid, name in self.regions
        ]

    # ------------------------------------------------------------------ routes
    def login_password(self, request: Request) -> Response:
        ident = self.identity
        if request.header("user") != ident.user or not _same(request.header("password"), ident.password):
            return code_error("10004", "用户名或密码错误 (wrong user name or password)")
        if not _same(request.header("orgid"), ident.org_id):
            return code_error("10004", "orgId 无效 (invalid orgId)")
        return self.frozen_error() or ok(self._all_regions())

    def login_aksk(self, request: Request) -> Response:
        ident = self.identity
        user, access_key = request.header("user"), request.header("accesskey")
        timestamp, signature = request.header("timestamp") or "", request.header("signature") or ""
        if not (user and access_key and timestamp and signature):
            return code_error("10003", "参数不全 (user, accessKey, timestamp and signature are required)")
        if user != ident.user or access_key != ident.access_key:
            return code_error("10004", "AK 无效 (unknown accessKey for this user)")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_CLOCK_SKEW:
            return code_error("10004", "时间戳无效 (timestamp is not within 5 minutes of server time)")
        message = '{"accessKey":"' + access_key + '","timestamp":"' + timestamp + '","user":"' + user + '"}'
        expected = hmac.new(ident.secret_key.encode(), message.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return code_error("10004", "签名校验失败 (signature does not match)")
        return self.frozen_error() or ok(self._all_regions())

    def renew(self, request: Request) -> Response:
        token = request.header("token") or ""
        issued = self._lookup(token)
        if issued is None:
            return code_error("10008", "token 无效 (invalid token)")
        if time.time() > issued.expires + self._setting("scnet_renew_window", 86400):
            return code_error(
                "10008", "token 已过期超过续约期限,请重新获取 (too late to renew; log in again)"
            )
        if (frozen := self.frozen_error()) is not None:
            return frozen
        new = self._issue(issued.cluster_id, issued.cluster_name)
        with self._lock:
            self._issued.pop(token, None)
        return ok([{"clusterId": issued.cluster_id, "clusterName": issued.cluster_name, "token": new}])

    # ------------------------------------------------------------------ checks
    def _lookup(self, token: str) -> IssuedToken | None:
        parts = token.split(".")
        if len(parts) != 3:
            return None
        expected = _b64(hmac.new(self._secret, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(expected, parts[2]):
            return None
        with self._lock:
            return self._issued.get(token)

    def frozen_error(self) -> Response | None:
        return code_error("10007", "用户已被冻结 (user is frozen)") if self.frozen else None

    def check(self, request: Request, *, region: bool = True) -> tuple[IssuedToken | None, Response | None]:
        """The caller's token, or the error answer; ``region`` refuses the platform (``ac``) token."""
        issued = self._lookup(request.header("token") or "")
        if issued is None:
            return None, code_error("10008", "权限不足:token 无效 (invalid token)")
        if time.time() >= issued.expires:
            return None, code_error("10008", "权限不足:token 已过期 (token expired)")
        if region and issued.cluster_id == PLATFORM[0]:
            return None, code_error("10009", "没有权限访问接口 (the platform token cannot call region APIs)")
        if (frozen := self.frozen_error()) is not None:
            return None, frozen
        return issued, None

    # ------------------------------------------------------------------ admin hooks
    def expire_all(self, older_than: float = 0.0) -> None:
        now = time.time()
        with self._lock:
            for issued in self._issued.values():
                if issued.issued <= now - older_than:
                    issued.expires = min(issued.expires, now - 0.001)

    def reset(self) -> None:
        with self._lock:
            self._issued.clear()


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def register(emulator: Emulator) -> ScnetTokens:
    tokens = ScnetTokens(emulator)
    add = emulator.router.add
    add("POST", r"/ac/openapi/v2/tokens", tokens.login_password, name="scnet.tokens", service=SERVICE)
    add("POST", r"/api/user/v3/tokens", tokens.login_aksk, name="scnet.tokens_v3", service=SERVICE)
    add("POST", r"/ac/openapi/v2/tokens/next", tokens.renew, name="scnet.tokens_next", service=SERVICE)
    emulator.on_expire_tokens.append(tokens.expire_all)
    emulator.on_reset.append(tokens.reset)
    return tokens
