"""Provider registration, example DAG import, and `airflow dags test` of the example against the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema

from airflow_provider_jobcleanup.get_provider_info import get_provider_info
from tests.profiles.huawei import password_connection

ROOT = Path(__file__).resolve().parents[2]
AIRFLOW = str(Path(sys.executable).parent / "airflow")


def test_provider_info_matches_airflow_schema():
    import airflow

    schema_path = Path(airflow.__file__).parent / "provider_info.schema.json"
    jsonschema.validate(get_provider_info(), json.loads(schema_path.read_text()))


def test_every_registered_hook_class_imports_and_matches_its_connection_type():
    from airflow_provider_jobcleanup.services import SERVICES

    info = get_provider_info()
    conn_types = {c["connection-type"] for c in info["connection-types"]}
    for spec in SERVICES.values():
        hook = spec.load_hook_class()
        assert hook.service == spec.name
        assert hook.conn_type == spec.conn_type
        assert spec.conn_type in conn_types


def test_providers_manager_sees_hooks_and_secret_fields(airflow_db):
    from airflow.providers_manager import ProvidersManager

    manager = ProvidersManager()
    assert "airflow-provider-jobcleanup" in manager.providers
    assert "huaweicloud" in manager.hooks
    widgets = manager.connection_form_widgets
    assert widgets["extra__huaweicloud__security_token"].is_sensitive
    assert not widgets["extra__huaweicloud__region"].is_sensitive


def test_airflow_cli_lists_the_provider_and_its_hooks():
    listed = subprocess.run([AIRFLOW, "providers", "list"], capture_output=True, text=True, timeout=120)
    assert "airflow-provider-jobcleanup" in listed.stdout, listed.stderr[-2000:]
    hooks = subprocess.run([AIRFLOW, "providers", "hooks"], capture_output=True, text=True, timeout=120)
    assert "huaweicloud" in hooks.stdout, hooks.stderr[-2000:]


def test_example_dags_import_without_errors(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "example_dags"))
    assert bag.import_errors == {}
    assert "example_mrs_nightly_cleanup" in bag.dag_ids


def test_airflow_dags_test_runs_the_example_against_the_emulator(emulator, tmp_path):
    old = emulator.seed("mrs", 12, state="FAILED", age_seconds=8 * 86400)
    recent = emulator.seed("mrs", 3, state="FAILED", age_seconds=60)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "example_dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW_CONN_HUAWEICLOUD_DEFAULT": json.dumps(password_connection(emulator.url)),
    }
    env.pop("AIRFLOW__CORE__UNIT_TEST_MODE", None)
    subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=300)
    run = subprocess.run(
        [AIRFLOW, "dags", "test", "example_mrs_nightly_cleanup"], env=env, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
    assert "state=success" in run.stdout + run.stderr
    assert emulator.live_ids("mrs") == set(recent)
    assert {j["job_id"] for j in emulator.jobs("mrs") if j["deleted_at"]} == set(old)
