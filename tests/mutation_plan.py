"""What `make mutation` mutates, and which fast tests run against each mutant.

mutmut runs, against a mutant, the fast tests (pyproject's ``[tool.mutmut]`` selection: unit, integration,
hostile, emulator, and the operator and trigger tests without a DAG run) that reached the mutated function,
fastest first, until one fails. :func:`tests_for` narrows that further for the transport, which nearly
every test reaches, and for the signers. ``tests/conftest.py`` applies it.
"""

from __future__ import annotations

PACKAGE = "airflow_provider_jobcleanup"

#: every fast test that reaches the mutated function (pyproject's ``pytest_add_cli_args_test_selection``)
REACHING = None
#: the transport is reached by nearly every test; its promises (retries, re-login, redirects, size and time
#: bounds, TLS verification) are pinned by its unit tests, the TLS tests, the hooks' tests against the emulator
#: (token renewal, re-login) and the hostile servers; the Airflow-facing tests add nothing for it
_TRANSPORT = (
    "tests/unit/test_transport.py",
    "tests/unit/test_transport_reading.py",
    "tests/security/test_tls_and_http.py",
    "tests/integration/",
    "tests/hostile/",
)

#: the signers are pinned by their own unit tests, the official SDKs' signers (tests/integration) and the
#: emulator, which checks every signature it is sent; the hostile tests are about answers, not signing
_SIGNERS = ("tests/unit/", "tests/integration/", "tests/emulator/", "tests/airflow/", "tests/security/")

#: (mutant name pattern as ``mutmut run`` takes it, the test paths that may run against it or ``REACHING``)
PLAN: tuple[tuple[str, tuple[str, ...] | None], ...] = (
    (f"{PACKAGE}.job_ids.*", REACHING),
    (f"{PACKAGE}.models.*", REACHING),
    (f"{PACKAGE}.answers.*", REACHING),
    (f"{PACKAGE}.hooks.base.*", REACHING),
    (f"{PACKAGE}.hooks.paging.*", REACHING),
    (f"{PACKAGE}.hooks.batching.*", REACHING),
    (f"{PACKAGE}.hooks.alibaba_ehpc.*parse_error*", REACHING),
    (f"{PACKAGE}.hooks.huaweicloud.*parse_error*", REACHING),
    (f"{PACKAGE}.hooks.huawei_dli.*parse_error*", REACHING),
    (f"{PACKAGE}.hooks.huawei_mrs.*parse_error*", REACHING),
    (f"{PACKAGE}.hooks.huawei_res.*parse_error*", REACHING),
    (f"{PACKAGE}.hooks.scnet_protocol.*error_parser*", REACHING),
    (f"{PACKAGE}.transport.*", _TRANSPORT),
    (f"{PACKAGE}.auth.huawei_aksk.*", _SIGNERS),
    (f"{PACKAGE}.auth.alibaba_acs3.*", _SIGNERS),
    (f"{PACKAGE}.operators.batch_delete.*", REACHING),
    (f"{PACKAGE}.sensors.jobs_gone.*", REACHING),
    (f"{PACKAGE}.triggers.jobs_gone.*", REACHING),
)


def patterns() -> list[str]:
    return [pattern for pattern, _ in PLAN]


def tests_for(mutant: str) -> tuple[str, ...] | None:
    """The test paths that may run against ``mutant`` (``None``: every test mutmut picked for it)."""
    from fnmatch import fnmatchcase

    for pattern, tests in PLAN:
        if fnmatchcase(mutant, pattern):
            return tests
    return None
