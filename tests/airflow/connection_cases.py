"""Connections of every type, with good and bad credentials, pointed at the emulator: what Airflow's connection
test (CLI, REST API, UI) must answer for each, and which emulator route must have answered a good one."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from airflow_provider_jobcleanup.emulator.huawei_mrs import DEFAULT_CLUSTER_ID
from tests.profiles import alibaba, huawei, scnet

Spec = dict[str, Any]


@dataclass(frozen=True)
class Case:
    """One connection and the verdict its test must give."""

    name: str
    build: Callable[[str], Spec]
    ok: bool
    #: a good case: the emulator route whose answer proved the credentials; a bad case: a fragment of the message
    evidence: str

    def spec(self, url: str) -> Spec:
        return self.build(url)

    def env_value(self, url: str) -> str:
        """The connection as an ``AIRFLOW_CONN_*`` value (JSON form)."""
        return json.dumps(self.spec(url))

    def api_body(self, url: str, conn_id: str) -> Spec:
        """The body of ``POST /api/v2/connections/test``."""
        spec = self.spec(url)
        return {
            "connection_id": conn_id,
            "conn_type": spec["conn_type"],
            "login": spec.get("login"),
            "password": spec.get("password"),
            "extra": json.dumps(spec.get("extra", {})),
        }

    @property
    def secret(self) -> str:
        """The secret of this case's connection (it must never appear in an answer)."""
        spec = self.build("http://127.0.0.1:1")
        return spec.get("password") or spec["extra"].get("secret_key") or ""


def _changed(build: Callable[[str], Spec], *, extra: Spec | None = None, **fields: Any) -> Callable[[str], Spec]:
    def changed(url: str) -> Spec:
        spec = build(url)
        spec.update(fields)
        spec["extra"] = {**spec.get("extra", {}), **(extra or {})}
        return spec

    return changed


def _hw_cluster(url: str) -> Spec:
    return _changed(huawei.aksk_connection, extra={"cluster_id": DEFAULT_CLUSTER_ID})(url)


CASES: list[Case] = [
    Case("huaweicloud-aksk", huawei.aksk_connection, True, "dli.list"),
    Case(
        "huaweicloud-aksk-wrong-secret",
        _changed(huawei.aksk_connection, password="wrong-secret-key-0000"),
        False,
        "verify aksk signature fail",
    ),
    Case(
        "huaweicloud-aksk-other-project",
        _changed(huawei.aksk_connection, extra={"project_id": "ffffffffffffffffffffffffffffffff"}),
        False,
        "APIGW.0302",
    ),
    Case("huaweicloud-aksk-mrs-cluster", _hw_cluster, True, "mrs.list"),
    Case("huaweicloud-password", huawei.password_connection, True, "dli.list"),
    Case(
        "huaweicloud-password-wrong",
        _changed(huawei.password_connection, password="wrong-password"),
        False,
        "The username or password is wrong",
    ),
    Case("alibaba_ehpc", alibaba.ehpc_connection, True, "ehpc.ListJobs"),
    Case(
        "alibaba_ehpc-wrong-secret",
        _changed(alibaba.ehpc_connection, password="wrong-alibaba-secret"),
        False,
        "SignatureDoesNotMatch",
    ),
    Case("scnet-password", scnet.scnet_password_connection, True, "scnet.jobs"),
    Case(
        "scnet-password-wrong",
        _changed(scnet.scnet_password_connection, password="wrong-scnet-password"),
        False,
        "AuthenticationError",
    ),
    Case("scnet-aksk", scnet.scnet_aksk_connection, True, "scnet.jobs"),
    Case(
        "scnet-aksk-wrong-secret",
        _changed(scnet.scnet_aksk_connection, extra={"secret_key": "wrong-scnet-secret-key"}),
        False,
        "AuthenticationError",
    ),
]

CASE_IDS = [case.name for case in CASES]
