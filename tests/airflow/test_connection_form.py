"""The connection forms (``conn-fields`` in the provider info) show every extra the code reads, with the default
the code uses, and Airflow lists each connection type under its own name."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from airflow_provider_jobcleanup import get_provider_info as info
from airflow_provider_jobcleanup.connection_settings import AnswerLimits, RetryPolicy, Timeouts
from tests.airflow.test_connection_cli import airflow, cli_env

PACKAGE = Path(info.__file__).parent
#: source files whose extras each connection type reads (COMMON: every type)
SOURCES = {
    "huaweicloud": ["hooks/huaweicloud.py", "hooks/huawei_dli.py", "hooks/huawei_mrs.py", "hooks/huawei_res.py"],
    "alibaba_ehpc": ["hooks/alibaba_ehpc.py", "hooks/alibaba_ehpc_params.py"],
    "scnet": ["hooks/scnet.py", "hooks/scnet_protocol.py"],
}
COMMON = ["connection_settings.py", "transport.py", "hooks/base.py"]
#: extras whose names the code builds: HuaweiCloudHook._endpoint(prefix, "<name>_endpoint")
BUILT = {"huaweicloud": {"iam_endpoint", "dli_endpoint", "mrs_endpoint", "res_endpoint"}}
READS = re.compile(
    r"""extras\.get\(\s*["'](\w+)["']"""  # extras.get("key")
    r"""|extra_(?:number|flag)\(\s*[\w.]+,\s*["'](\w+)["']"""  # extra_number(extras, "key", ...)
    r"""|["'](\w+)["'] in extras"""  # "key" in extras
)


def extras_read(files: list[str]) -> set[str]:
    found = set()
    for name in files:
        for match in READS.finditer((PACKAGE / name).read_text()):
            found.add(next(g for g in match.groups() if g))
    return found


def test_the_common_extras_are_found_in_the_source():
    """Guards the scan below: it must see the transport's extras."""
    assert {"verify", "allow_insecure_http", "max_attempts", "connect_timeout", "read_timeout"} <= extras_read(
        COMMON
    )


@pytest.mark.parametrize("conn_type", sorted(SOURCES))
def test_every_extra_the_code_reads_is_in_the_form(conn_type):
    fields = next(c for c in info.CONNECTION_TYPES if c["connection-type"] == conn_type)["conn-fields"]
    read = extras_read(SOURCES[conn_type] + COMMON) | BUILT.get(conn_type, set())
    read -= {"timeout"}  # the old name of read_timeout, still read, not shown
    assert read - set(fields) == set()
    assert set(fields) - read == set(), "a form field that no code reads"


def test_the_form_defaults_are_the_code_defaults():
    fields = info.COMMON_FIELDS
    retry, timeouts = RetryPolicy(), Timeouts()
    assert fields["max_attempts"]["schema"]["default"] == retry.max_attempts
    assert fields["retry_initial_wait"]["schema"]["default"] == retry.initial_wait
    assert fields["retry_max_wait"]["schema"]["default"] == retry.max_wait
    assert fields["connect_timeout"]["schema"]["default"] == timeouts.connect
    assert fields["read_timeout"]["schema"]["default"] == timeouts.read
    assert fields["attempt_timeout"]["schema"]["default"] == timeouts.attempt
    limits = AnswerLimits()
    assert fields["max_answer_bytes"]["schema"]["default"] == limits.max_bytes
    assert fields["max_list_pages"]["schema"]["default"] == limits.max_pages
    assert fields["allow_insecure_http"]["schema"]["default"] is False
    assert fields["verify"]["schema"]["default"] == "true"
    huawei = info.CONNECTION_FORMS["huaweicloud"]["conn-fields"]
    assert huawei["auth_type"]["schema"]["default"] == "aksk"
    from airflow_provider_jobcleanup.hooks.scnet import DEFAULT_BASE_URL

    assert info.CONNECTION_FORMS["scnet"]["conn-fields"]["base_url"]["schema"]["default"] == DEFAULT_BASE_URL


def test_airflow_lists_each_connection_type_under_its_own_name(tmp_path):
    done = airflow(cli_env(tmp_path), "providers", "hooks", "-o", "json")
    assert done.returncode == 0, done.stderr
    hooks = {h["connection_type"]: h for h in json.loads(done.stdout)}
    assert hooks["huaweicloud"]["hook_name"] == "Huawei Cloud (DLI, MRS, RES)"
    assert hooks["huaweicloud"]["conn_id_attribute_name"] == "huaweicloud_conn_id"
    assert hooks["alibaba_ehpc"]["conn_id_attribute_name"] == "alibaba_ehpc_conn_id"
    assert hooks["scnet"]["conn_id_attribute_name"] == "scnet_conn_id"
