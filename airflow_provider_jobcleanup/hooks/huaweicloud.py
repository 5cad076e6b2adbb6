"""What DLI, MRS and RES share: the ``huaweicloud`` connection, endpoints, auth and error shapes.

Connection: login/password are the AK/SK (``auth_type`` ``aksk``, the default) or the IAM user/password
(``auth_type`` ``password``). Extras: ``domain_name``, ``region``, ``project_id``, ``security_token``,
``iam_endpoint`` and ``<service>_endpoint`` overrides (Open Telekom Cloud uses ``*.otc.t-systems.com``),
``verify`` (TLS, on by default), ``allow_insecure_http``, timeouts and retry settings.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import cached_property
from typing import ClassVar

import requests

from airflow_provider_jobcleanup.answers import Answer, error_from_status, json_or_none
from airflow_provider_jobcleanup.auth.huawei_iam import HuaweiIamTokenProvider
from airflow_provider_jobcleanup.auth.token_cache import TokenAuth, TransportRef, shared_provider
from airflow_provider_jobcleanup.exceptions import (
    ApiError,
    AuthenticationError,
    ClockSkewError,
    ConfigurationError,
    ThrottledError,
)
from airflow_provider_jobcleanup.hooks.base import JobCleanupHook
from airflow_provider_jobcleanup.secrets import mask
from airflow_provider_jobcleanup.transport import ApiTransport

AUTH_TYPES = ("aksk", "password")
#: the API gateway refusing ``X-Sdk-Date`` (too far from its own clock)
CLOCK_SKEW_CODES = {"APIG.0201", "APIGW.0201"}


class HuaweiCloudHook(JobCleanupHook):
    """Base of the Huawei Cloud service hooks."""

    conn_name_attr = "huaweicloud_conn_id"
    default_conn_name = "huaweicloud_default"
    conn_type = "huaweicloud"
    hook_name = "Huawei Cloud"

    #: first label of the service host (``mrs`` -> ``https://mrs.{region}.myhuaweicloud.com``)
    endpoint_prefix: ClassVar[str]
    #: how many requests the hook may have in flight at once
    concurrency: ClassVar[int] = 1

    @cached_property
    def auth_type(self) -> str:
        value = self.extras.get("auth_type") or "aksk"
        if value not in AUTH_TYPES:
            raise ConfigurationError(f"connection {self.conn_id!r}: auth_type {value!r} is not one of {AUTH_TYPES}")
        return value

    @cached_property
    def region(self) -> str:
        region = self.extras.get("region")
        if not region or not isinstance(region, str):
            raise ConfigurationError(f"connection {self.conn_id!r}: extra 'region' is required (e.g. cn-north-4)")
        return region

    def _endpoint(self, prefix: str, override_key: str) -> str:
        override = self.extras.get(override_key)
        url = override or f"https://{prefix}.{self.region}.myhuaweicloud.com"
        return self.checked_endpoint(url, override_key)

    @cached_property
    def endpoint(self) -> str:
        """Base URL of this hook's service."""
        return self._endpoint(self.endpoint_prefix, f"{self.service}_endpoint")

    @cached_property
    def iam_endpoint(self) -> str:
        return self._endpoint("iam", "iam_endpoint")

    @cached_property
    def _token_provider(self) -> HuaweiIamTokenProvider:
        login, password = self.connection.login, self.connection.password
        domain = self.extras.get("domain_name")
        if not login or not password or not domain:
            raise ConfigurationError(
                f"connection {self.conn_id!r}: password auth needs login (IAM user), password and "
                "extra 'domain_name' (account name)"
            )
        mask(password)
        project_id = self.extras.get("project_id")
        region = self.region
        iam = self.iam_endpoint

        def factory() -> HuaweiIamTokenProvider:
            return HuaweiIamTokenProvider(
                iam_endpoint=iam,
                user_name=login,
                password=password,
                domain_name=domain,
                project_id=project_id,
                project_name=region,
            )

        key = (iam, login, password, domain, project_id or "", region)
        provider = shared_provider(key, factory)
        assert isinstance(provider, HuaweiIamTokenProvider)
        return provider

    @cached_property
    def project_id(self) -> str:
        """From the extras, or (password auth) from the project the token is scoped to."""
        project_id = self.extras.get("project_id")
        if project_id:
            return str(project_id)
        if self.auth_type == "password":
            self._token_provider.token(self.transport)
            if self._token_provider.project_id:
                return self._token_provider.project_id
        raise ConfigurationError(f"connection {self.conn_id!r}: extra 'project_id' is required for AK/SK auth")

    def _build_auth(self, ref: TransportRef) -> requests.auth.AuthBase:
        if self.auth_type == "password":
            return TokenAuth(self._token_provider, ref, "X-Auth-Token")
        return self._build_aksk_auth()

    def _build_aksk_auth(self) -> requests.auth.AuthBase:
        from airflow_provider_jobcleanup.auth.huawei_aksk import HuaweiAkSkAuth

        access_key, secret_key = self.connection.login, self.connection.password
        if not access_key or not secret_key:
            raise ConfigurationError(f"connection {self.conn_id!r}: AK/SK auth needs login (AK) and password (SK)")
        token = self.extras.get("security_token")
        mask(secret_key)
        mask(token)
        return HuaweiAkSkAuth(
            access_key=access_key,
            secret_key=secret_key,
            project_id=self.project_id,
            security_token=token,
        )

    def _build_transport(self) -> ApiTransport:
        # The auth is complete before the transport is returned (and cached), so no thread can ever send
        # through a transport without credentials. The token auth reaches its transport late, through ``ref``.
        ref = TransportRef()
        transport = self.new_transport(self._build_auth(ref), self.parse_error, pool_size=self.concurrency)
        ref.set(transport)
        return transport

    def parse_error(self, response: Answer) -> ApiError | None:
        """The API gateway's errors shared by the Huawei services; service hooks add their own codes.

        An error code in the body is an error whatever the HTTP status (a 200 can carry one).
        """
        body = json_or_none(response)
        coded = isinstance(body, dict) and bool(body.get("error_code") or body.get("errorCode"))
        if response.ok and not coded:
            return None
        error = error_from_status(self.service, response)
        code = error.error_code or ""
        if code in CLOCK_SKEW_CODES or "x-sdk-date" in error.message.lower():
            return error.retyped(
                ClockSkewError,
                f"the request time was refused ({error.message}): this machine's clock is off; it reads "
                f"{datetime.now(timezone.utc):%Y-%m-%dT%H:%M:%SZ} UTC. Synchronise it (NTP) and run again",
            )
        if code.startswith("APIGW.03") and code != "APIGW.0308":
            return error.retyped(AuthenticationError)
        if code == "APIGW.0308" and not isinstance(error, ThrottledError):
            return error.retyped(ThrottledError)
        return error

    def scope_region(self) -> str | None:
        region = self.extras.get("region")
        return region if isinstance(region, str) else None

    def _console_base(self) -> str | None:
        """``https://console.huaweicloud.com`` (or Open Telekom Cloud's) when the endpoint is the public
        cloud's; ``None`` for other deployments. [INF] console paths are taken from the public console."""
        host = self.endpoint.split("://", 1)[-1]
        if "otc.t-systems.com" in host:
            return "https://console.otc.t-systems.com"
        if "myhuaweicloud" in host or host.startswith(("127.", "localhost")):
            return "https://console.huaweicloud.com"
        return None

    def project_url(self, path: str) -> str:
        """``{endpoint}/{version}/{project_id}/...`` given ``path`` with a ``{project_id}`` placeholder."""
        return self.endpoint + path.format(project_id=self.project_id)
