"""The README's "Test your own DAGs" example, run as a user runs it: a project folder with ``dags/`` (the
nightly MRS example DAG) and ``tests/`` (the README's code block, verbatim), a fresh migrated Airflow home,
and ``pytest`` in a subprocess, where the fixture comes from the installed package's ``pytest11`` entry point.
Also: the README's emulator connections are the ones the testing kit builds, and its real-cloud connections
use only fields the connection forms declare."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_provider_jobcleanup.get_provider_info import get_provider_info
from airflow_provider_jobcleanup.testing.connections import DEFAULT_CONN_IDS, emulator_connection, env_name

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
AIRFLOW = str(Path(sys.executable).parent / "airflow")
EXAMPLE_FIRST_LINE = "# tests/test_nightly_cleanup.py\n"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", text, flags=re.S | re.M)


def readme_example() -> str:
    (block,) = [b for b in python_blocks(README) if b.startswith(EXAMPLE_FIRST_LINE)]
    return block


def run_bounded(args: list[str], *, timeout: float, **kwargs) -> subprocess.CompletedProcess[str]:
    """Run ``args`` in its own process group; on timeout interrupt it (so pytest tears its fixtures down and
    stops the emulator it started), then kill the group."""
    proc = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True, **kwargs
    )
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            output, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            output, _ = proc.communicate(timeout=30)
        pytest.fail(f"{args[:3]} did not finish within {timeout:.0f} s:\n{output[-5000:]}")
    return subprocess.CompletedProcess(args, proc.returncode, output, "")


def test_readme_example_passes_in_a_user_project(tmp_path):
    project = tmp_path / "project"
    (project / "dags").mkdir(parents=True)
    (project / "tests").mkdir()
    shutil.copy(ROOT / "example_dags" / "example_mrs_nightly_cleanup.py", project / "dags")
    (project / "tests" / "test_nightly_cleanup.py").write_text(readme_example())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PYTEST"))}
    env.update(
        AIRFLOW_HOME=str(tmp_path / "airflow-home"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(project / "dags"),
    )
    migrate = run_bounded([AIRFLOW, "db", "migrate"], timeout=300, env=env, cwd=project)
    assert migrate.returncode == 0, migrate.stdout[-3000:]

    run = run_bounded(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], timeout=300, env=env, cwd=project
    )

    assert run.returncode == 0, run.stdout[-5000:]
    assert "1 passed" in run.stdout


def test_readme_emulator_connections_are_the_kits():
    exported = dict(re.findall(r"^export (AIRFLOW_CONN_\w+)='(.*)'$", README, flags=re.M))
    emulator_block = README[README.index("The same three pointing at the emulator") :]
    emulator_exports = dict(re.findall(r"^export (AIRFLOW_CONN_\w+)='(.*)'$", emulator_block, flags=re.M)[:3])
    assert exported  # the real-cloud block exists too
    for conn_type, conn_id in DEFAULT_CONN_IDS.items():
        expected = emulator_connection("http://127.0.0.1:8765", conn_type)
        assert json.loads(emulator_exports[env_name(conn_id)]) == expected


def test_readme_real_cloud_connections_use_declared_form_fields():
    real_block = README[README.index("### Ready-to-paste connections") : README.index("The same three pointing")]
    declared = {c["connection-type"]: set(c["conn-fields"]) for c in get_provider_info()["connection-types"]}
    specs = [json.loads(v) for v in re.findall(r"^export AIRFLOW_CONN_\w+='(.*)'$", real_block, flags=re.M)]
    assert {s["conn_type"] for s in specs} == set(declared)
    for spec in specs:
        assert set(spec["extra"]) <= declared[spec["conn_type"]], spec
