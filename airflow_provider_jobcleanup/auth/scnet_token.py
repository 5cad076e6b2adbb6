"""SCNet (Sugon AC) region tokens: password (v2) or AK/SK (v3) login, renewal, and the JWT claims they carry.

* Password login: ``POST {base}/ac/openapi/v2/tokens`` with headers ``user``, ``password``, ``orgId``.
* AK/SK login: ``POST {base}/api/user/v3/tokens`` with headers ``user``, ``accessKey``, ``timestamp`` (epoch
  seconds) and ``signature`` = hex HMAC-SHA256 keyed by the SK over the compact JSON
  ``{"accessKey":"..","timestamp":"..","user":".."}`` in exactly that key order.
* Both answer ``{"code":"0","data":[{"clusterId","clusterName","token"}, ...]}``: one token per compute region
  (``clusterName`` ``ac`` / ``clusterId`` ``0`` is the platform token). The region is chosen by name.
* The token is a JWT whose payload has ``expireTime`` (epoch **ms**, often a string) and ``computeUser``
  (the cluster Unix account). Without a decodable expiry a token is taken to live 24 h.
* Renewal: ``POST {base}/ac/openapi/v2/tokens/next`` with header ``token`` returns a new token; possible until
  24 h after expiry, after which the provider logs in again.

SCNet answers HTTP 200 with a non-zero ``code`` on errors; ``10007`` means the user is frozen.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_jobcleanup.answers import Answer, error_from_status, json_or_none, parse_answer, unexpected
from airflow_provider_jobcleanup.auth.token_cache import CachedTokenProvider, Token
from airflow_provider_jobcleanup.exceptions import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    PermissionDeniedError,
)
from airflow_provider_jobcleanup.hooks.scnet_answers import LoginAnswer, RegionToken, RenewalAnswer
from airflow_provider_jobcleanup.secrets import mask

if TYPE_CHECKING:
    from airflow_provider_jobcleanup.transport import ApiTransport

log = logging.getLogger(__name__)

SERVICE = "scnet"
#: lifetime assumed when the token's ``expireTime`` cannot be read [3P: 24 h]
DEFAULT_LIFETIME = 86400.0
#: renewal is refused this long after expiry (24 h, the renewal reference)
RENEWAL_GRACE = 86400.0
#: the platform token's region name and id; it cannot call job APIs
PLATFORM_CLUSTER_NAME = "ac"
PLATFORM_CLUSTER_ID = "0"
CODE_FROZEN = "10007"
#: a refused login is remembered this long: the same credentials are not sent again (lockout protection)
REFUSAL_MEMORY = 60.0


# --------------------------------------------------------------------------- pure helpers
def aksk_signature(secret_key: str, access_key: str, timestamp: str, user: str) -> str:
    """The v3 login ``signature`` header: hex HMAC-SHA256(SK, compact JSON, keys accessKey/timestamp/user)."""
    claims = {"accessKey": access_key, "timestamp": timestamp, "user": user}
    message = json.dumps(claims, separators=(",", ":"), ensure_ascii=False)
    return hmac.new(secret_key.encode(), message.encode(), hashlib.sha256).hexdigest()


def jwt_claims(token: str) -> dict[str, Any]:
    """The payload of a JWT (not verified: only the server can), or ``{}`` when it is not a readable JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return {}
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except (ValueError, binascii.Error):
        return {}
    return claims if isinstance(claims, dict) else {}


def token_expiry(token: str, now: float) -> float:
    """Epoch seconds at which ``token`` expires: its ``expireTime`` (ms) claim, else ``now`` + 24 h."""
    value = jwt_claims(token).get("expireTime")
    try:
        millis = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return now + DEFAULT_LIFETIME
    return millis / 1000.0


def pick_region_token(regions: Any, cluster_name: str | None, user: str) -> dict[str, Any]:
    """The ``{clusterId, clusterName, token}`` entry of the wanted compute region.

    Without ``cluster_name`` the only compute region is taken; several regions need the name (a token for
    the wrong region would silently address the wrong cluster).
    """
    if not isinstance(regions, list) or not all(isinstance(r, dict) for r in regions):
        raise ApiError(f"token answer has no region list (got {type(regions).__name__})", service=SERVICE)
    compute = [r for r in regions if not _is_platform(r)]
    names = [str(r.get("clusterName")) for r in compute]
    if cluster_name is None:
        if len(compute) != 1:
            raise ConfigurationError(
                f"SCNet user {user!r} has {len(compute)} compute regions {names}; set the connection extra "
                "'cluster_name' to one of them"
            )
        chosen = compute[0]
    else:
        matches = [r for r in regions if str(r.get("clusterName")) == cluster_name]
        if not matches:
            raise ConfigurationError(
                f"SCNet user {user!r} has no compute region named {cluster_name!r}; available: {names}"
            )
        chosen = matches[0]
    if not chosen.get("token"):
        raise PermissionDeniedError(
            f"SCNet issued no token for user {user!r} in region {chosen.get('clusterName')!r}: the account "
            "is suspended (recharge it in the SCNet portal)",
            service=SERVICE,
        )
    return chosen


def _is_platform(region: dict[str, Any]) -> bool:
    return (
        str(region.get("clusterName")) == PLATFORM_CLUSTER_NAME or str(region.get("clusterId")) == PLATFORM_CLUSTER_ID
    )


def login_error_parser(user: str, mode: str):
    """Error parser of the login and renewal calls: any non-zero ``code`` is an authentication failure,
    except ``10007`` (user frozen), which no new attempt can fix."""

    def parse(response: Answer) -> ApiError | None:
        if not response.ok:
            return error_from_status(SERVICE, response, message_prefix=f"{mode} for user {user!r}: ")
        body = json_or_none(response)
        if not isinstance(body, dict):
            return unexpected(response, SERVICE, f"{mode} for user {user!r}", "not a JSON object")
        code = str(body.get("code", "0"))
        if code == "0":
            return None
        message = str(body.get("msg") or body.get("message") or "refused")
        if code == CODE_FROZEN:
            return PermissionDeniedError(
                frozen_message(user, message),
                service=SERVICE,
                status_code=response.status_code,
                error_code=code,
            )
        return AuthenticationError(
            f"SCNet refused the {mode} of user {user!r}: {message}",
            service=SERVICE,
            status_code=response.status_code,
            error_code=code,
        )

    return parse


def frozen_message(user: str, detail: str) -> str:
    return (
        f"SCNet user {user!r} is frozen ({detail}); ask the SCNet administrator to unfreeze the account. Not retried."
    )


# --------------------------------------------------------------------------- the provider
@dataclass(frozen=True)
class ScnetToken(Token):
    """A region token with its JWT claims."""

    claims: dict[str, Any] = field(default_factory=dict, compare=False)


class ScnetTokenProvider(CachedTokenProvider):
    """Logs one SCNet user in (password or AK/SK), keeps the region token, renews it before it expires.

    :param base_url: the AC base URL (``https://api.scnet.cn``), already checked.
    :param user: the portal user name.
    :param password: with ``org_id``, password login; ignored when ``access_key``/``secret_key`` are given.
    :param cluster_name: which compute region's token to use.
    """

    def __init__(
        self,
        *,
        base_url: str,
        user: str,
        password: str | None = None,
        org_id: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        cluster_name: str | None = None,
    ) -> None:
        super().__init__()
        if not (access_key and secret_key) and not (password and org_id):
            raise ConfigurationError(
                "SCNet login needs either extras 'access_key' + 'secret_key' (AK/SK) or the password plus "
                "extra 'org_id'"
            )
        self.base_url = base_url
        self.user = user
        self._password = password
        self.org_id = org_id
        self.access_key = access_key
        self._secret_key = secret_key
        self.cluster_name = cluster_name
        self._stale: ScnetToken | None = None
        self._refused: tuple[float, AuthenticationError] | None = None
        self.logins = 0
        self.renewals = 0
        mask(password)
        mask(secret_key)

    @property
    def mode(self) -> str:
        return "AK/SK login" if self.access_key and self._secret_key else "password login"

    def claims(self, transport: ApiTransport) -> dict[str, Any]:
        """The JWT claims of the current token (``computeUser``, ``clusterId``...)."""
        return jwt_claims(self.token(transport))

    def invalidate(self, failed: str | None = None) -> None:
        """Drop the token after a rejection (unless another thread already replaced it), but keep it for a
        renewal attempt."""
        with self._lock:
            if not self._is_current(failed):
                return
            if self._token is not None:
                self._stale = self._token  # type: ignore[assignment]
            self._token = None

    def _fetch(self, transport: ApiTransport) -> Token:
        previous = self._token if isinstance(self._token, ScnetToken) else self._stale
        self._stale = None
        if previous is not None and time.time() < previous.expires_at + RENEWAL_GRACE:
            try:
                return self._renew(transport, previous)
            except PermissionDeniedError:
                raise
            except ApiError as err:
                log.info("scnet: token renewal refused (%s); logging in again", err.error_code or err)
        return self._login(transport)

    def _login(self, transport: ApiTransport) -> ScnetToken:
        if self._refused is not None and time.time() - self._refused[0] < REFUSAL_MEMORY:
            raise self._refused[1]
        try:
            return self._send_login(transport)
        except AuthenticationError as err:
            self._refused = (time.time(), err)
            raise

    def _send_login(self, transport: ApiTransport) -> ScnetToken:
        if self.access_key and self._secret_key:
            timestamp = str(int(time.time()))
            signature = aksk_signature(self._secret_key, self.access_key, timestamp, self.user)
            mask(signature)
            url = f"{self.base_url}/api/user/v3/tokens"
            headers = {
                "user": self.user,
                "accessKey": self.access_key,
                "timestamp": timestamp,
                "signature": signature,
            }
        else:
            url = f"{self.base_url}/ac/openapi/v2/tokens"
            headers = {"user": self.user, "password": self._password or "", "orgId": self.org_id or ""}
        response = transport.request(
            "POST",
            url,
            headers={**headers, "Content-Type": "application/json"},
            authenticate=False,
            error_parser=login_error_parser(self.user, self.mode),
        )
        self.logins += 1
        answer = parse_answer(response, LoginAnswer, SERVICE, self.mode)
        regions = [region.model_dump() for region in answer.data]
        chosen = pick_region_token(regions, self.cluster_name, self.user)
        return self._make_token(str(chosen["token"]))

    def _renew(self, transport: ApiTransport, previous: ScnetToken) -> ScnetToken:
        response = transport.request(
            "POST",
            f"{self.base_url}/ac/openapi/v2/tokens/next",
            headers={"token": previous.value, "Content-Type": "application/json"},
            authenticate=False,
            error_parser=login_error_parser(self.user, "token renewal"),
        )
        value = _renewed_token(parse_answer(response, RenewalAnswer, SERVICE, "token renewal").data, self.cluster_name)
        if not value:
            raise AuthenticationError("token renewal answered without a token", service=SERVICE)
        self.renewals += 1
        return self._make_token(value)

    @staticmethod
    def _make_token(value: str) -> ScnetToken:
        mask(value)
        now = time.time()
        expires_at = token_expiry(value, now)
        return ScnetToken(value=value, expires_at=expires_at, issued_at=now, claims=jwt_claims(value))


def _renewed_token(data: str | RegionToken | list[RegionToken], cluster_name: str | None) -> str | None:
    """The new token from a renewal answer: a string, ``{token}``, or a region list (the named region's)."""
    if isinstance(data, str):
        return data
    if isinstance(data, RegionToken):
        return data.token
    entries = [d for d in data if d.token]
    named = [d for d in entries if cluster_name and d.clusterName == cluster_name]
    chosen = named or entries
    return chosen[0].token if chosen else None
