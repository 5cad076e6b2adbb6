"""The distribution as PyPI users get it: a wheel built from the sources carries the licence, the type marker,
the testing kit and its pytest entry point, and one version; the README's support matrix matches what
pyproject.toml declares and what ``make test-airflow-min`` tests."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
import tomllib

import airflow_provider_jobcleanup
from airflow_provider_jobcleanup.get_provider_info import get_provider_info

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """A wheel built from a copy of the sources (the build leaves nothing in the checkout)."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(
        ROOT / "airflow_provider_jobcleanup",
        src / "airflow_provider_jobcleanup",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(src)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (path,) = out.glob("airflow_provider_jobcleanup-*.whl")
    return zipfile.ZipFile(path)


def _metadata(wheel: zipfile.ZipFile):
    name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
    return Parser().parsestr(wheel.read(name).decode())


def test_wheel_metadata(wheel):
    meta = _metadata(wheel)
    assert meta["Version"] == airflow_provider_jobcleanup.__version__
    assert meta["License-Expression"] == "Apache-2.0"
    assert meta.get_all("License-File") == ["LICENSE"]
    classifiers = meta.get_all("Classifier")
    assert {"Framework :: Apache Airflow", "Framework :: Apache Airflow :: Provider", "Typing :: Typed"} <= set(
        classifiers
    )
    assert not [c for c in classifiers if c.startswith("License ::")]  # PEP 639: the expression replaces them
    assert {u.split(",")[0] for u in meta.get_all("Project-URL")} >= {"Homepage", "Changelog", "Issues"}
    # development tools are dependency groups, not published extras
    assert meta.get_all("Provides-Extra") is None
    declared = {re.split(r"[<>=!~ ]", d, maxsplit=1)[0] for d in PYPROJECT["project"]["dependencies"]}
    assert {re.split(r"[<>=!~ ]", d, maxsplit=1)[0] for d in meta.get_all("Requires-Dist")} == declared


def test_wheel_files(wheel):
    names = set(wheel.namelist())
    assert "airflow_provider_jobcleanup/py.typed" in names
    assert "airflow_provider_jobcleanup/testing/pytest_plugin.py" in names
    licence = next(n for n in names if n.endswith(".dist-info/licenses/LICENSE"))
    text = wheel.read(licence).decode()
    assert "Apache License" in text and "Version 2.0, January 2004" in text and "END OF TERMS AND CONDITIONS" in text
    entry_points = wheel.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert "[pytest11]\njobcleanup = airflow_provider_jobcleanup.testing.pytest_plugin" in entry_points
    assert "[apache_airflow_provider]" in entry_points


def test_one_version():
    assert PYPROJECT["project"]["dynamic"] == ["version"]
    assert "version" not in PYPROJECT["project"]
    assert get_provider_info()["versions"] == [airflow_provider_jobcleanup.__version__]
    assert f"## [{airflow_provider_jobcleanup.__version__}]" in (ROOT / "CHANGELOG.md").read_text()


def test_support_matrix_matches_what_is_declared_and_tested():
    floor = re.fullmatch(r"apache-airflow>=([\d.]+)", PYPROJECT["project"]["dependencies"][0])
    assert floor is not None
    tested_min = re.search(r"^AIRFLOW_MIN := ([\d.]+)$", (ROOT / "Makefile").read_text(), re.M)
    assert tested_min is not None
    assert tested_min.group(1).startswith(floor.group(1))  # make test-airflow-min runs the declared floor
    python_floor = PYPROJECT["project"]["requires-python"].removeprefix(">=")
    readme = (ROOT / "README.md").read_text()
    assert f"| Apache Airflow | {floor.group(1)} and newer |" in readme
    assert f"| Python | {python_floor} and newer |" in readme
    assert f"`{tested_min.group(1)}`" in readme
    assert "make test-airflow-min" in (ROOT / ".ci" / "run").read_text()
