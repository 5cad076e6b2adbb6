"""In the Airflow UI, as a user: create a connection of each type through its form, press Test in the
connections list and read the answer Airflow shows. The connections point at the emulator, which checks every
signature, password and token; a screenshot of each answer is kept in ``tests/ui/screenshots/``.

Waits are bounded (``WAIT`` seconds) and only wait for the UI; no assertion is retried."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
import requests

from airflow_provider_jobcleanup.emulator.credentials import AlibabaIdentity, HuaweiIdentity, ScnetIdentity
from airflow_provider_jobcleanup.get_provider_info import CONNECTION_TYPES
from tests.ui.conftest import SCREENSHOTS

pytestmark = pytest.mark.ui

WAIT = 30
HW, ALI, SC = HuaweiIdentity(), AlibabaIdentity(), ScnetIdentity()
LABELS = {c["connection-type"]: c["hook-name"] for c in CONNECTION_TYPES}


@dataclass(frozen=True)
class FormCase:
    name: str
    conn_type: str
    login: str
    password: str
    #: emulator URL -> the "Extra Fields" to type (field name -> text)
    extras: Callable[[str], dict[str, str]]
    ok: bool
    #: what the answer's description must say
    expect: str
    #: the emulator route whose answer proved good credentials
    route: str = ""


def _huawei(url: str) -> dict[str, str]:
    return {"region": HW.project_name, "project_id": HW.project_id, "dli_endpoint": url}


CASES = [
    FormCase(
        "huaweicloud", "huaweicloud", HW.access_key, HW.secret_key, _huawei, True,
        f"Huawei Cloud DLI accepted the credentials (listed Flink jobs of project {HW.project_id})", "dli.list",
    ),
    FormCase(
        "alibaba_ehpc", "alibaba_ehpc", ALI.access_key_id, ALI.access_key_secret,
        lambda url: {"region": "cn-hangzhou", "endpoint": url}, True,
        "Alibaba Cloud E-HPC Instant accepted the credentials (ListJobs)", "ehpc.ListJobs",
    ),
    FormCase(
        "scnet", "scnet", SC.user, SC.password,
        lambda url: {"org_id": SC.org_id, "base_url": url, "cluster_name": SC.cluster_names[0]}, True,
        "SCNet (Sugon AC) HPC accepted the credentials", "scnet.jobs",
    ),
    FormCase(
        "huaweicloud-wrong-secret", "huaweicloud", HW.access_key, "not-the-secret-key-000", _huawei, False,
        "verify aksk signature fail",
    ),
]  # fmt: skip


class ConnectionsPage:
    """The Admin > Connections page of the Airflow 3 React UI."""

    def __init__(self, driver, base_url: str) -> None:
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver = driver
        self.base_url = base_url
        # a toast or row re-rendered between finding and reading it is looked up again on the next poll
        self.wait = WebDriverWait(
            driver, WAIT, poll_frequency=0.2, ignored_exceptions=(StaleElementReferenceException,)
        )

    def find(self, xpath: str):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec

        return self.wait.until(ec.visibility_of_element_located((By.XPATH, xpath)), f"not shown: {xpath}")

    def click(self, xpath: str) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec

        self.wait.until(ec.element_to_be_clickable((By.XPATH, xpath)), f"not clickable: {xpath}").click()

    def type_into(self, name: str, text: str) -> None:
        """Replace the value of the dialog's input ``name`` (select all, then type, as a user would)."""
        from selenium.webdriver.common.keys import Keys

        field = self.find(f"//div[@role='dialog']//*[@name='{name}']")
        field.send_keys(Keys.CONTROL, "a")
        field.send_keys(text)
        self.wait.until(lambda _: field.get_attribute("value") == text, f"field {name} did not take {text!r}")

    def open(self) -> None:
        self.driver.get(f"{self.base_url}/connections")
        self.find("//button[contains(normalize-space(.), 'Add Connection')]")

    def add(self, conn_id: str, case: FormCase, extras: dict[str, str], screenshot: str) -> None:
        from selenium.webdriver.common.keys import Keys

        self.click("//button[contains(normalize-space(.), 'Add Connection')]")
        self.type_into("connection_id", conn_id)
        kind = self.find("//div[@role='dialog']//input[@role='combobox']")
        kind.send_keys(case.conn_type)
        self.find(f"//div[@role='dialog']//*[@role='option' and normalize-space(.)='{LABELS[case.conn_type]}']")
        kind.send_keys(Keys.ENTER)
        self.find(f"//div[@role='dialog']//*[normalize-space(text())='{LABELS[case.conn_type]}']")
        self.type_into("login", case.login)
        self.type_into("password", case.password)
        self.click("//div[@role='dialog']//button[@data-controls and normalize-space(.)='Extra Fields']")
        for name, value in extras.items():
            self.type_into(f"element_{name}", value)
        self.driver.save_screenshot(screenshot)
        self.click("//div[@role='dialog']//button[normalize-space(.)='Save']")
        self.wait.until(lambda d: not d.find_elements("xpath", "//div[@role='dialog']"), "the form stayed open")
        self.find(self.row(conn_id))

    @staticmethod
    def row(conn_id: str) -> str:
        return f"//tr[td[normalize-space(.)='{conn_id}']]"

    def test(self, conn_id: str) -> tuple[str, str, str]:
        """Press the row's Test button; the (type, title, description) of the notification that answers.

        A toast is in the page before its text is shown (it fades in), so the wait is for a new toast whose
        title is visible and not empty."""
        before = {t.get_attribute("id") for t in self.toasts()}
        self.click(f"{self.row(conn_id)}//button[@aria-label='Test Connection']")

        def answered(_) -> tuple[str, str, str] | None:
            for toast in self.toasts():
                if toast.get_attribute("id") in before:
                    continue
                title = self.shown_text(toast, "title")
                if title:
                    return toast.get_attribute("data-type"), title, self.shown_text(toast, "description")
            return None

        return self.wait.until(answered, "no answer was shown")  # type: ignore[no-any-return]

    @staticmethod
    def shown_text(toast, part: str) -> str:
        """The visible text of the toast's ``part`` ("" while it is not shown)."""
        found = toast.find_elements("xpath", f".//*[@data-scope='toast' and @data-part='{part}']")
        return found[0].text if found and found[0].is_displayed() else ""

    def toasts(self) -> list:
        return self.driver.find_elements("xpath", "//*[@data-scope='toast' and @data-part='root']")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_create_a_connection_in_its_form_and_test_it(case: FormCase, browser, airflow_ui, emulator):
    conn_id = "ui_" + case.name.replace("-", "_")
    page = ConnectionsPage(browser, airflow_ui.url)
    page.open()
    form_shot = SCREENSHOTS / f"{case.name}-form.png"
    page.add(conn_id, case, case.extras(emulator.url), str(form_shot))

    stored = requests.get(f"{airflow_ui.url}/api/v2/connections/{conn_id}", timeout=30).json()
    assert stored["conn_type"] == case.conn_type
    assert stored["login"] == case.login

    # Airflow 3.3.2's Test button sends port 0 for a connection without a port, and the API then refuses to
    # reuse the stored password ("Bad Request", apache/airflow#73298, fixed after 3.3.2). Our connection types
    # have no port; storing 0 lets the button work on 3.3.2 and changes nothing for the hooks.
    patched = requests.patch(
        f"{airflow_ui.url}/api/v2/connections/{conn_id}",
        params={"update_mask": "port"},
        json={"connection_id": conn_id, "conn_type": case.conn_type, "port": 0},
        timeout=30,
    )
    assert patched.status_code == 200, patched.text
    page.open()

    kind, title, description = page.test(conn_id)
    answer_shot = SCREENSHOTS / f"{case.name}.png"
    browser.save_screenshot(str(answer_shot))
    print(f"\n{case.name}: [{kind}] {title}: {description}\n  screenshots: {form_shot} {answer_shot}")

    assert case.password not in description
    if case.ok:
        assert (kind, title) == ("success", "Test Connection Successful"), description
        assert case.expect in description
        assert emulator.stats().get(case.route, 0) == 1
    else:
        assert (kind, title) == ("error", "Test Connection Failed"), description
        assert case.expect in description
