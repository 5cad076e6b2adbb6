"""Airflow's connection test in process: ``Connection.test_connection()`` builds the hook registered for the
connection type with its ``<conn_name_attr>=`` keyword, and the answer is true only when a request proved the
credentials."""

from __future__ import annotations

import pytest
from airflow.models.connection import Connection

from airflow_provider_jobcleanup.exceptions import ConfigurationError
from airflow_provider_jobcleanup.hooks.alibaba_ehpc import EhpcHook
from airflow_provider_jobcleanup.hooks.huawei_dli import DliHook
from airflow_provider_jobcleanup.hooks.huawei_mrs import MrsHook
from airflow_provider_jobcleanup.hooks.scnet import ScnetHook
from tests.airflow.connection_cases import CASE_IDS, CASES, Case


@pytest.mark.parametrize(
    ("hook_class", "keyword"),
    [(MrsHook, "huaweicloud_conn_id"), (EhpcHook, "alibaba_ehpc_conn_id"), (ScnetHook, "scnet_conn_id")],
)
def test_hooks_take_the_conn_name_attr_keyword(hook_class, keyword):
    hook = hook_class(**{keyword: "my_conn"})
    assert hook.conn_id == "my_conn"
    assert getattr(hook, keyword) == "my_conn"
    assert hook_class("same", **{keyword: "same"}).conn_id == "same"
    assert hook_class().conn_id == hook_class.default_conn_name
    with pytest.raises(ConfigurationError, match="disagree"):
        hook_class("one", **{keyword: "other"})


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_airflow_connection_test_in_process(case: Case, emulator, monkeypatch):
    conn_id = "conn_" + case.name.replace("-", "_")
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", case.env_value(emulator.url))
    conn = Connection.get_connection_from_secrets(conn_id)

    ok, message = conn.test_connection()

    assert ok is case.ok, message
    if case.ok:
        assert message.startswith("Connection works:"), message
        assert emulator.stats().get(case.evidence, 0) == 1
    else:
        assert case.evidence in message
    assert case.secret not in message


def test_the_huaweicloud_test_without_cluster_proves_the_project_with_dli(emulator, monkeypatch):
    from tests.profiles.huawei import IDENTITY, aksk_connection

    hook = MrsHook(connection=Connection(conn_id="hw", **_fields(aksk_connection(emulator.url))))
    ok, message = hook.test_connection()
    assert ok, message
    assert IDENTITY.project_id in message and "DLI" in message
    assert "mrs.list" not in emulator.stats()


def test_a_check_that_sent_no_request_is_a_failure(emulator, monkeypatch):
    """Mock: if listing ever answered without a request (a cache, a short cut), the test must not pass."""
    from tests.profiles.huawei import aksk_connection

    hook = DliHook(connection=Connection(conn_id="hw", **_fields(aksk_connection(emulator.url))))
    monkeypatch.setattr(DliHook, "_pages", lambda self, query, page_size=100: iter(()))
    ok, message = hook.test_connection()
    assert (ok, message) == (False, "Huawei Cloud DLI: no request proved the credentials")
    assert emulator.stats().get("total", 0) == 0


def _fields(spec: dict) -> dict:
    import json

    return {**spec, "extra": json.dumps(spec["extra"])}


def test_a_connection_saved_by_the_ui_form_works(emulator):
    """The form stores every field it shows, ``null`` for the empty ones: those mean "the default"."""
    from airflow_provider_jobcleanup.get_provider_info import CONNECTION_FORMS
    from tests.profiles.huawei import aksk_connection

    spec = aksk_connection(emulator.url)
    shown = dict.fromkeys(CONNECTION_FORMS["huaweicloud"]["conn-fields"])
    spec["extra"] = {**shown, **spec["extra"], "read_timeout": None}
    ok, message = MrsHook(connection=Connection(conn_id="hw", **_fields(spec))).test_connection()
    assert ok, message
