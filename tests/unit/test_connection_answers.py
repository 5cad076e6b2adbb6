"""What Airflow's connection test shows (CLI, REST API, UI): ``(True, proof)`` only after a request proved the
credentials; otherwise ``(False, why)`` with the error's class and a message the CLI's console does not eat.
The proofs themselves (requests answered by the emulator) are in ``tests/airflow/test_connection_hooks.py``."""

from __future__ import annotations

from airflow_provider_jobcleanup.exceptions import AuthenticationError
from airflow_provider_jobcleanup.hooks.base import JobCleanupHook
from airflow_provider_jobcleanup.hooks.huawei_dli import DliHook


class Refused(DliHook):
    def check_access(self) -> str | None:
        raise AuthenticationError("Incorrect IAM authentication information", service="dli", status_code=401)


class Silent(DliHook):
    def check_access(self) -> str | None:
        return self.proof("nothing", self.api_calls)


class Unchecked(DliHook):
    check_access = JobCleanupHook.check_access


def test_a_refusal_names_its_class_and_service_without_markup_brackets():
    ok, message = Refused("any").test_connection()
    assert ok is False
    assert message == "AuthenticationError: dli: Incorrect IAM authentication information (HTTP 401)"


def test_a_check_that_sent_nothing_proves_nothing():
    assert Silent("any").test_connection() == (False, "Huawei Cloud DLI: no request proved the credentials")


def test_a_service_that_does_not_say_how_to_check_fails_the_test():
    assert Unchecked("any").test_connection() == (
        False, "NotImplementedError: Unchecked does not say how to check its connection",
    )  # fmt: skip
