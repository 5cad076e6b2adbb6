"""Huawei Cloud IAM password authentication: a project-scoped token sent as ``X-Auth-Token``.

``POST {iam}/v3/auth/tokens`` with the user, password and account (domain) name returns the token in the
``X-Subject-Token`` header and its expiry and project id in the body. Tokens live 24 h; they are cached per
credential set and refreshed shortly before expiry, or at once after a 401 (``APIGW.0301``).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from airflow_provider_jobcleanup.answers import Answer, AnswerModel, error_fields, error_from_status, parse_answer
from airflow_provider_jobcleanup.auth.token_cache import CachedTokenProvider, Token
from airflow_provider_jobcleanup.exceptions import ApiError, AuthenticationError

if TYPE_CHECKING:
    from airflow_provider_jobcleanup.transport import ApiTransport


class IamProject(AnswerModel):
    id: str


class IamToken(AnswerModel):
    expires_at: datetime
    project: IamProject | None = None


class IamTokenAnswer(AnswerModel):
    """The body of a token answer (the token itself is the ``X-Subject-Token`` header)."""

    token: IamToken


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
        if not value:
            raise AuthenticationError("IAM answered without an X-Subject-Token header", service="iam")
        token = parse_answer(response, IamTokenAnswer, "iam", "issue token").token
        if token.project is not None:
            self.project_id = token.project.id
        expires_at = token.expires_at
        if expires_at.tzinfo is None:
            raise AuthenticationError("IAM answered a token expiry without a time zone", service="iam")
        return Token(value=value, expires_at=expires_at.timestamp())

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

