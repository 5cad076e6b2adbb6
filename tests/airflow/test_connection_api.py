"""``POST /api/v2/connections/test`` on a running ``airflow api-server`` (127.0.0.1, JWT from ``/auth/token``):
the request the UI's Test button sends, for every connection type with good and bad credentials."""

from __future__ import annotations

import pytest
import requests

from tests.airflow.api_server import AirflowApiServer
from tests.airflow.connection_cases import CASE_IDS, CASES, Case


@pytest.fixture(scope="module")
def api_server(tmp_path_factory):
    server = AirflowApiServer(tmp_path_factory.mktemp("api-server")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def api(api_server):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {api_server.token()}"
    return session


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_post_connections_test(case: Case, api_server, api, emulator):
    body = case.api_body(emulator.url, conn_id="api_" + case.name.replace("-", "_"))

    response = api.post(f"{api_server.url}/api/v2/connections/test", json=body, timeout=120)

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["status"] is case.ok, answer
    assert case.secret not in response.text
    if case.ok:
        assert answer["message"].startswith("Connection works:"), answer
        assert emulator.stats().get(case.evidence, 0) == 1
    else:
        assert case.evidence in answer["message"]


def test_the_endpoint_needs_authentication(api_server, emulator):
    body = CASES[0].api_body(emulator.url, conn_id="api_anonymous")
    response = requests.post(f"{api_server.url}/api/v2/connections/test", json=body, timeout=30)
    assert response.status_code == 401
    assert emulator.stats().get("total", 0) == 0
