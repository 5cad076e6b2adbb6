"""Browser-test fixtures: an ``airflow api-server`` without login (simple auth manager, everyone admin) on
127.0.0.1, and headless Debian Chromium driven by Selenium through ``/usr/bin/chromedriver``. Chromedriver
(and the Chromium it starts) runs in its own process group, killed at the end."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from pathlib import Path

import pytest

from tests.airflow.api_server import AirflowApiServer
from tests.processes import started_groups

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SCREENSHOTS = Path(__file__).parent / "screenshots"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,1000",
]


@pytest.fixture(scope="session")
def airflow_ui(tmp_path_factory):
    server = AirflowApiServer(tmp_path_factory.mktemp("airflow-ui"), all_admins=True).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            pytest.fail(f"{path} is missing: `make test-ui` installs Debian's chromium and chromium-driver")
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never fetch a driver or a browser
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="jobcleanup-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    service = Service(CHROMEDRIVER, popen_kw={"start_new_session": True})
    driver = webdriver.Chrome(service=service, options=options)
    group = service.process.pid  # chromedriver leads the group Chromium's processes belong to
    started_groups.add(group)  # the leftover check counts that group as this run's
    try:
        driver.set_page_load_timeout(60)
        SCREENSHOTS.mkdir(exist_ok=True)
        yield driver
    finally:
        try:
            driver.quit()
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
            shutil.rmtree(profile, ignore_errors=True)
