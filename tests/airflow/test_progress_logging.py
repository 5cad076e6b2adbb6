"""What a delete shows in the task log in real Airflow: progress lines while it runs, then the ids."""

from __future__ import annotations

import json
import re

from airflow_provider_jobcleanup import progress
from airflow_provider_jobcleanup.emulator.huawei_mrs import DEFAULT_CLUSTER_ID
from tests.profiles.huawei import password_connection

CONN_ID = "hw_progress"


def test_a_long_delete_logs_progress_and_the_deleted_ids(dagbag, emulator, monkeypatch, capfd):
    monkeypatch.setattr(progress, "PROGRESS_INTERVAL", 0.0)  # a line at every recorded batch, not every 5 s
    monkeypatch.setenv(f"AIRFLOW_CONN_{CONN_ID.upper()}", json.dumps(password_connection(emulator.url)))
    jobs = emulator.seed("mrs", 250, state="FAILED")
    never_existed = "0f0f0f0f-0000-4000-8000-000000000000"
    dag = dagbag.get_dag("test_cleanup_mrs_poke")
    dag_run = dag.test(
        run_conf={
            "conn_id": CONN_ID,
            "job_ids": [*jobs, never_existed],
            "service_params": {"cluster_id": DEFAULT_CLUSTER_ID},
        }
    )
    assert dag_run.state == "success"
    log = capfd.readouterr().out
    scope = f"mrs cluster {DEFAULT_CLUSTER_ID}"
    done = [int(n.replace(",", "")) for n in re.findall(rf"{scope}: ([\d,]+) of 251 jobs done", log)]
    assert len(done) >= 3 and done == sorted(done) and done[-1] == 251, done  # one line per batch of 100
    assert f"{scope}: 251 of 251 jobs done (250 deleted, 1 already gone, 0 failed)" in log
    assert f"{scope}: deleted: {', '.join(jobs[:50])} ... and 200 more" in log
    assert f"nothing to delete): {never_existed}" in log
