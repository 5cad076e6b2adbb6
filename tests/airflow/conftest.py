"""Real Airflow for these tests: a migrated SQLite metadata DB in the session's AIRFLOW_HOME."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def airflow_db():
    from airflow.utils.db import initdb

    initdb()
    return True


@pytest.fixture(scope="session")
def dagbag(airflow_db):
    from airflow.dag_processing.dagbag import DagBag

    return DagBag()
