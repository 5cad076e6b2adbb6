"""The official ``alibabacloud-ehpcinstant20230701`` client against the emulator.

Proves the emulator speaks the real protocol (the SDK's own signing, serialization and response parsing), so
what the hook is tested against is not a private dialect; and that the hook serializes ``JobSpec`` exactly as
the SDK does.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from airflow_provider_jobcleanup.hooks.alibaba_ehpc_params import compact_json, parse_params
from tests.profiles.alibaba import IDENTITY, REGION

ehpc = pytest.importorskip("alibabacloud_ehpcinstant20230701.client")
models = pytest.importorskip("alibabacloud_ehpcinstant20230701.models")
openapi_models = pytest.importorskip("alibabacloud_tea_openapi.utils_models")
openapi_utils = pytest.importorskip("alibabacloud_tea_openapi.utils")
exceptions = pytest.importorskip("alibabacloud_tea_openapi.exceptions")


def client(url: str, secret: str = IDENTITY.access_key_secret):
    config = openapi_models.Config(
        access_key_id=IDENTITY.access_key_id,
        access_key_secret=secret,
        endpoint=urlsplit(url).netloc,  # 127.0.0.1:port
        protocol="http",
        region_id=REGION,
    )
    return ehpc.Client(config)


def states(emulator) -> dict[str, dict]:
    return {j["job_id"]: j for j in emulator.jobs("ehpc")}


def test_sdk_deletes_jobs_tasks_and_executors(emulator, emulator_url):
    whole, arrays, executors, bystander = emulator.seed(
        "ehpc", 4, state="Running", attrs={"tasks": {"task 0": 4}}
    )
    sdk = client(emulator_url)

    response = sdk.delete_jobs(
        models.DeleteJobsRequest(
            job_spec=[
                models.DeleteJobsRequestJobSpec(job_id=whole),
                models.DeleteJobsRequestJobSpec(
                    job_id=arrays,
                    task_spec=[
                        models.DeleteJobsRequestJobSpecTaskSpec(task_name="task 0", array_index=[1, 2])
                    ],
                ),
            ],
            executor_ids=[f"{executors}-task 0-3"],
            job_scheduler="HPC",
        )
    )

    assert response.status_code == 200 and response.body.request_id
    jobs = states(emulator)
    assert jobs[whole]["state"] == "Deleted"
    assert jobs[arrays]["attrs"]["tasks"]["task 0"] == {
        "0": "Running",
        "1": "Deleted",
        "2": "Deleted",
        "3": "Running",
    }
    assert jobs[executors]["attrs"]["tasks"]["task 0"]["3"] == "Deleted"
    assert jobs[bystander]["deleted_at"] is None

    listed = sdk.list_jobs(
        models.ListJobsRequest(filter=models.ListJobsRequestFilter(job_ids=[whole, bystander]), page_size=100)
    ).body
    assert {j.job_id: j.status for j in listed.job_list} == {whole: "Deleted", bystander: "Running"}
    executor_rows = sdk.list_executors(
        models.ListExecutorsRequest(
            filter=models.ListExecutorsRequestFilter(executor_ids=[f"{executors}-task 0-3"])
        )
    ).body.executors
    assert [(e.executor_id, e.status) for e in executor_rows] == [(f"{executors}-task 0-3", "Deleted")]
    job = sdk.get_job(models.GetJobRequest(job_id=arrays)).body.job_info
    assert [s.status for s in job.tasks[0].executor_status] == ["Running", "Deleted", "Deleted", "Running"]


def test_sdk_sees_job_not_found(emulator, emulator_url):
    with pytest.raises(exceptions.ClientException) as caught:
        client(emulator_url).delete_jobs(
            models.DeleteJobsRequest(job_spec=[models.DeleteJobsRequestJobSpec(job_id="job-doesnotexist1")])
        )
    assert caught.value.code == "JobNotFound"


def test_sdk_with_a_wrong_secret_is_refused(emulator, emulator_url):
    [job] = emulator.seed("ehpc", 1)
    with pytest.raises(exceptions.ClientException) as caught:
        client(emulator_url, secret="wrong-secret").delete_jobs(
            models.DeleteJobsRequest(job_spec=[models.DeleteJobsRequestJobSpec(job_id=job)])
        )
    assert caught.value.code == "SignatureDoesNotMatch"
    assert states(emulator)[job]["deleted_at"] is None


def test_job_spec_serialization_is_byte_identical_to_the_sdk():
    task_spec: dict[str, list[dict[str, Any]]] = {
        "job-abcd": [{"TaskName": "task0", "ArrayIndex": [1, 2]}, {"TaskName": "预处理"}],
        "job-efgh": [{"ArrayIndex": [0], "TaskName": "t"}],
    }
    ours = parse_params({"task_spec": task_spec}).task_spec
    job_spec = [{"JobId": j, "TaskSpec": ours.get(j, [])} for j in ("job-abcd", "job-efgh", "job-ijkl")]
    request = models.DeleteJobsRequest(
        job_spec=[
            models.DeleteJobsRequestJobSpec(
                job_id=j,
                task_spec=[
                    models.DeleteJobsRequestJobSpecTaskSpec(
                        task_name=t["TaskName"], array_index=t.get("ArrayIndex")
                    )
                    for t in task_spec.get(j, [])
                ],
            )
            for j in ("job-abcd", "job-efgh", "job-ijkl")
        ],
        executor_ids=["job-abcd-task0-7"],
    )
    utils = openapi_utils.Utils
    assert compact_json(job_spec) == utils.array_to_string_with_specified_style(
        request.job_spec, "JobSpec", "json"
    )
    assert compact_json(["job-abcd-task0-7"]) == utils.array_to_string_with_specified_style(
        request.executor_ids, "ExecutorIds", "json"
    )
