"""Huawei Cloud IAM password authentication: a project-scoped token sent as ``X-Auth-Token``.

``POST {iam}/v3/auth/tokens`` with the user, password and account (domain) name returns the token in the
``X-Subject-Token`` header and its expiry and project id in the body. Tokens live 24 h; they are cached per
credential set and refreshed shortly before expiry, or at once after a 401 (``APIGW.0301``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from airflow_provider_jobcleanup.auth.token_cache import CachedTokenProvider, Token
from airflow_provider_jobcleanup.exceptions import ApiError, AuthenticationError
from airflow_provider_jobcleanup.transport import Answer, error_fields, error_from_status, json_or_none

if TYPE_CHECKING:
    from airflow_provider_jobcleanup.transport import ApiTransport


class HuaweiIamTokenProvider(CachedTokenProvider):
    """Fetches project-scoped IAM tokens for one IAM user.

    :param iam_endpoint: e.g. ``https://iam.cn-north-4.myhuaweicloud.com``.
    :param domain_name: the account name (on Open Telekom Cloud, the tenant id).
    :param project_id: scope by project id when given, else by ``project_name`` (the region name).
    """

    def __init__(
        self,
        *,
        iam_endpoint: str,
        user_name: str,
        password: str,
        domain_name: str,
        project_id: str | None,
        project_name: str | None,
    ) -> None:
        super().__init__()
        self.iam_endpoint = iam_endpoint
        self.user_name = user_name
        self._password = password
        self.domain_name = domain_name
        self.project_id = project_id
        self.project_name = project_name

    def _fetch(self, transport: ApiTransport) -> Token:
        scope = {"id": self.project_id} if self.project_id else {"name": self.project_name}
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": self.user_name,
                            "password": self._password,
                            "domain": {"name": self.domain_name},
                        }
                    },
                },
                "scope": {"project": scope},
            }
        }
        response = transport.request(
            "POST",
            f"{self.iam_endpoint}/v3/auth/tokens",
            params={"nocatalog": "true"},
            json=body,
            authenticate=False,
            error_parser=self._parse_error,
        )
        value = response.headers.get("X-Subject-Token")
        payload = json_or_none(response) or {}
        token_info = payload.get("token", {}) if isinstance(payload, dict) else {}
        if not value:
            raise AuthenticationError("IAM answered without an X-Subject-Token header", service="iam")
        project = token_info.get("project") or {}
        if project.get("id"):
            self.project_id = project["id"]
        return Token(value=value, expires_at=_parse_expiry(token_info.get("expires_at")))

    def _parse_error(self, response: Answer) -> ApiError | None:
        if response.ok:
            return None
        if response.status_code in (400, 401, 403):
            code, message, request_id = error_fields(response)
            return AuthenticationError(
                f"IAM refused to issue a token for user {self.user_name!r} in account {self.domain_name!r} "
                f"(project {self.project_id or self.project_name!r}): {message}",
                service="iam",
                status_code=response.status_code,
                error_code=code,
                request_id=request_id,
            )
        return error_from_status("iam", response)


def _parse_expiry(value: str | None) -> float:
    """IAM's ``expires_at`` (``2026-11-23T10:00:00.000000Z``) as epoch seconds; 24 h when absent."""
    import time

    if not value:
        return time.time() + 86400
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
