"""The identities the emulator accepts. Demo values only: they protect nothing and are documented."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class HuaweiIdentity:
    domain_name: str = "demo-domain"
    user_name: str = "demo-user"
    password: str = "demo-password"
    project_id: str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
    project_name: str = "cn-north-4"
    access_key: str = "DEMOHUAWEIACCESSKEY0"
    secret_key: str = "demo-huawei-secret-key-0123456789"
    # a temporary AK/SK: only accepted together with its security token (X-Security-Token)
    temp_access_key: str = "DEMOHUAWEITEMPKEY000"
    temp_secret_key: str = "demo-huawei-temp-secret-key-9876543210"
    security_token: str = "gQpjbi1ub3J0aC00demo-huawei-security-token"


@dataclass
class AlibabaIdentity:
    """Alibaba Cloud AccessKey pairs: a long-term one and an STS one that needs ``security_token``."""

    access_key_id: str = "LTAI5tDEMOALIBABAKEY01"
    access_key_secret: str = "demo-alibaba-secret-0123456789abcdef"
    sts_access_key_id: str = "STS.DEMOALIBABASTSKEY01"
    sts_access_key_secret: str = "demo-alibaba-sts-secret-0123456789"
    security_token: str = "demo-alibaba-sts-token"


@dataclass
class ScnetIdentity:
    """SCNet portal user: password login (with the offline-issued org id) and AK/SK login; ``compute_user`` is
    the cluster Unix account its tokens carry; ``cluster_names`` are the compute regions it may use."""

    user: str = "demo-scnet-user"
    password: str = "demo-scnet-password"
    org_id: str = "6048ce7ba15c2af2e8cec12991ec13cf"
    access_key: str = "934e4dd887264b63a797ccb27f86048f"
    secret_key: str = "demo-scnet-secret-key-0123456789"
    compute_user: str = "demo_cu"
    cluster_names: tuple[str, ...] = ("kunshan", "wuzhen")


@dataclass
class Credentials:
    """Every identity the emulator knows; service modules add their own fields here."""

    huawei: HuaweiIdentity
    alibaba: AlibabaIdentity = field(default_factory=AlibabaIdentity)
    scnet: ScnetIdentity = field(default_factory=ScnetIdentity)


def default_credentials() -> Credentials:
    return Credentials(huawei=HuaweiIdentity(), alibaba=AlibabaIdentity(), scnet=ScnetIdentity())
