"""No secret reaches a log: every service's delete and sensor run at DEBUG (root, airflow, provider, urllib3
and requests loggers), with retried faults so warning paths run too, and a run with a wrong password so error
paths run. Captured: every log record (with tracebacks), stdout/stderr, and the exceptions' text. Secrets:
the connection's SK/password/security token, every token the emulator issued, and every credential-bearing
header sent (Authorization values and their signatures, X-Auth-Token, SCNet's token). Each of the long-lived
ones (SK, password, security token, tokens) must also have been handed to Airflow's secret masker, which must
redact it.

(Per-request signatures are not registered with the masker: each is an HMAC of one request that never leaves
the transport; registering thousands of one-off values would grow the process-wide masker without bound.)
"""

from __future__ import annotations

import json
import logging
import re

import pytest
import requests

from airflow_provider_jobcleanup.exceptions import AuthenticationError
from airflow_provider_jobcleanup.operators.batch_delete import BatchDeleteJobsOperator
from airflow_provider_jobcleanup.sensors.jobs_gone import JobsGoneSensor
from chaos.harness import FakeTI
from tests.profiles import all_profiles

PROFILES = all_profiles()
LOGGERS = ("", "airflow", "airflow.task", "airflow_provider_jobcleanup", "urllib3", "requests", "tenacity")
CREDENTIAL_HEADERS = ("authorization", "x-auth-token", "token", "x-security-token", "x-acs-security-token")


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))
        self.lines.append(repr(record.args))


@pytest.fixture
def debug_logs():
    handler = Collect()
    saved = {}
    for name in LOGGERS:
        logger = logging.getLogger(name)
        saved[name] = logger.level
        logger.setLevel(logging.DEBUG)
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


@pytest.fixture
def spies(monkeypatch):
    """What was handed to the masker, and the credential headers actually sent."""
    import airflow.sdk.log as sdk_log

    from airflow_provider_jobcleanup.auth import token_cache

    registered: list[str] = []
    sent: list[str] = []
    tokens: list[str] = []
    real_mask = sdk_log.mask_secret

    def mask_secret(secret, name=None):
        registered.append(secret)
        return real_mask(secret, name)

    monkeypatch.setattr(sdk_log, "mask_secret", mask_secret)
    real_send = requests.Session.send

    def send(self, request, **kwargs):
        for name, value in request.headers.items():
            if name.lower() in CREDENTIAL_HEADERS and value:
                sent.append(value)
        return real_send(self, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", send)
    real_token = token_cache.CachedTokenProvider.token

    def token(self, transport):
        value = real_token(self, transport)
        tokens.append(value)
        return value

    monkeypatch.setattr(token_cache.CachedTokenProvider, "token", token)
    return registered, sent, tokens


def header_secrets(value: str) -> list[str]:
    """The secret parts of a credential header: the whole value, and any ``Signature=`` / bearer part."""
    parts = [value]
    parts += re.findall(r"Signature=([0-9A-Za-z+/=_-]{16,})", value)
    if " " not in value and len(value) >= 16:
        parts.append(value)
    return parts


@pytest.mark.timeout(120)
@pytest.mark.parametrize("prof", PROFILES, ids=lambda p: p.name)
def test_no_secret_in_debug_logs(emulator, monkeypatch, capfd, debug_logs, spies, prof):
    from airflow.sdk.log import redact

    registered, sent, tokens = spies
    spec = prof.connection(emulator.url)
    monkeypatch.setenv(f"AIRFLOW_CONN_{prof.conn_id.upper()}", json.dumps(spec))
    targets, params = prof.seed(emulator, 4)
    errors: list[str] = []
    emulator.faults(rate=0.3, kinds={"throttle": 1, "unavailable": 1, "reset": 1}, retry_after=0.01, seed=3)

    report = BatchDeleteJobsOperator(
        task_id="delete", conn_id=prof.conn_id, service=prof.service, job_ids=targets, **params
    ).execute({"ti": FakeTI()})  # type: ignore[arg-type]
    assert sorted(report["deleted"] + report["already_gone"]) == sorted(targets)
    sensor = JobsGoneSensor(task_id="gone", conn_id=prof.conn_id, service=prof.service, job_ids=targets, **params)
    assert sensor.poke({}).is_done  # type: ignore[arg-type]
    emulator.faults(rate=0.0)

    # the error path: a wrong secret must not be echoed either
    wrong = "Wr0ng-Secret-Value-Never-Log-Me"
    bad = json.loads(json.dumps(spec))
    if bad.get("password"):
        bad["password"] = wrong
    else:
        bad["extra"]["secret_key"] = wrong
    monkeypatch.setenv("AIRFLOW_CONN_WRONG_SECRET", json.dumps(bad))
    more, _ = prof.seed(emulator, 1)
    with pytest.raises(AuthenticationError) as caught:
        BatchDeleteJobsOperator(
            task_id="delete_wrong", conn_id="wrong_secret", service=prof.service, job_ids=more, **params
        ).execute({"ti": FakeTI()})  # type: ignore[arg-type]
    errors.append(repr(caught.value) + str(caught.value))

    extra = spec["extra"]
    long_lived = [v for v in (spec.get("password"), extra.get("secret_key"), extra.get("security_token")) if v]
    secrets = set(long_lived) | set(tokens) | {wrong}
    for value in sent:
        secrets.update(header_secrets(value))
    assert sent, "no credential header was captured: the spy is broken"
    out = capfd.readouterr()
    text = "\n".join([*debug_logs.lines, out.out, out.err, *errors])
    assert any("DEBUG" in line for line in debug_logs.lines)  # DEBUG logging really was on
    leaked = sorted(s[:6] + "..." for s in secrets if s and s in text)
    assert leaked == [], f"secrets found in the logs: {leaked}"
    for secret in set(long_lived) | set(tokens):
        assert secret in registered, f"{secret[:4]}... was never given to Airflow's secret masker"
        assert redact(secret) != secret and secret not in str(redact(f"x {secret} y"))
