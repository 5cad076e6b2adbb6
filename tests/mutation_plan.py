"""What `make mutation` mutates, and which fast tests run against each mutant.

mutmut runs, against a mutant, the tests that reached the mutated function; :func:`tests_for` narrows them to
the tests of that module (unit, integration and hostile; never the Airflow end-to-end runs), so that a hot
function such as the transport's send is not re-checked by every hook test. ``tests/conftest.py`` applies it.
"""

from __future__ import annotations

PACKAGE = "airflow_provider_jobcleanup"

_HOOK_TESTS = ("tests/integration/", "tests/hostile/")
_EHPC = (
    "tests/unit/test_alibaba_ehpc_errors.py",
    "tests/integration/test_alibaba_ehpc_hook.py",
    "tests/integration/test_unknown_codes.py",
    "tests/hostile/test_ehpc.py",
)
_HUAWEI = (
    "tests/integration/test_mrs_hook.py",
    "tests/integration/test_huawei_dli_hook.py",
    "tests/integration/test_huawei_res_hook.py",
    "tests/integration/test_huawei_aksk.py",
    "tests/integration/test_unknown_codes.py",
    "tests/hostile/test_dli.py",
    "tests/hostile/test_mrs.py",
    "tests/hostile/test_res.py",
    "tests/hostile/test_transport_promises.py",
)
_SCNET = (
    "tests/unit/test_scnet_protocol.py",
    "tests/integration/test_scnet_hook.py",
    "tests/integration/test_unknown_codes.py",
    "tests/hostile/test_scnet.py",
)
_SIGNERS = (
    "tests/unit/test_huawei_aksk_signer.py",
    "tests/unit/test_alibaba_acs3_signer.py",
    "tests/integration/test_huawei_aksk.py",
    "tests/integration/test_huawei_official_sdk.py",
    "tests/integration/test_alibaba_ehpc_official_sdk.py",
    "tests/integration/test_alibaba_ehpc_hook.py",
    "tests/emulator/",
)
_AIRFLOW_SIDE = (
    "tests/airflow/test_operator_and_trigger.py",
    "tests/integration/test_partly_gone.py",
    "tests/integration/test_interrupted_runs.py",
)

#: (mutant name pattern as ``mutmut run`` takes it, the test paths that may run against it)
PLAN: tuple[tuple[str, tuple[str, ...]], ...] = (
    (f"{PACKAGE}.job_ids.*", ("tests/unit/test_models_and_ids.py", *_HOOK_TESTS, *_AIRFLOW_SIDE)),
    (f"{PACKAGE}.models.*", ("tests/unit/test_models_and_ids.py", *_HOOK_TESTS, *_AIRFLOW_SIDE)),
    (f"{PACKAGE}.hooks.base.*", _HOOK_TESTS),
    (f"{PACKAGE}.hooks.paging.*", _HOOK_TESTS),
    (f"{PACKAGE}.hooks.batching.*", _HOOK_TESTS),
    (f"{PACKAGE}.hooks.alibaba_ehpc.*parse_error*", _EHPC),
    (f"{PACKAGE}.hooks.huaweicloud.*parse_error*", _HUAWEI),
    (f"{PACKAGE}.hooks.huawei_dli.*parse_error*", _HUAWEI),
    (f"{PACKAGE}.hooks.huawei_mrs.*parse_error*", _HUAWEI),
    (f"{PACKAGE}.hooks.huawei_res.*parse_error*", _HUAWEI),
    (f"{PACKAGE}.hooks.scnet_protocol.*error_parser*", _SCNET),
    (f"{PACKAGE}.transport.*", ("tests/unit/test_transport.py", "tests/hostile/", "tests/integration/")),
    (f"{PACKAGE}.auth.huawei_aksk.*", _SIGNERS),
    (f"{PACKAGE}.auth.alibaba_acs3.*", _SIGNERS),
    (f"{PACKAGE}.operators.batch_delete.*", _AIRFLOW_SIDE),
    (f"{PACKAGE}.sensors.jobs_gone.*", _AIRFLOW_SIDE),
    (f"{PACKAGE}.triggers.jobs_gone.*", _AIRFLOW_SIDE),
)


def patterns() -> list[str]:
    return [pattern for pattern, _ in PLAN]


def tests_for(mutant: str) -> tuple[str, ...] | None:
    """The test paths that may run against ``mutant`` (``None``: not a planned mutant, run what mutmut asks)."""
    from fnmatch import fnmatchcase

    for pattern, tests in PLAN:
        if fnmatchcase(mutant, pattern):
            return tests
    return None
