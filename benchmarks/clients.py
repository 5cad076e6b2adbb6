"""The comparisons: the one-request-per-job loop users write by hand.

* :func:`naive_delete`: one request per job, in a loop, with ``requests`` (a kept-alive ``requests.Session``,
  which is the *faster* way to write it; ``requests.post`` per job would open a connection per job). Request
  signing is unavoidable on the wire, so the loop signs with the provider's signer classes (standing in for
  the vendor's copy-paste signer sample).
* :func:`sdk_delete`: the same loop with the official SDK (``huaweicloudsdkmrs``, ``huaweicloudsdkdli``,
  ``alibabacloud-ehpcinstant20230701``): one delete call per job.

Both return ``(setup seconds, loop seconds)``: building the client (and, for SCNet, logging in and
discovering the cluster) apart from the loop, so a loop measured on a sample scales linearly.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import requests

from benchmarks.common import Case, make_hook

SDK_SERVICES: tuple[str, ...] = ("mrs", "dli", "ehpc")


# ----------------------------------------------------------------------------------------------- naive loop
def naive_delete(case: Case, url: str, job_ids: Sequence[str]) -> tuple[float, float]:
    """Delete ``job_ids`` one request per job, sequentially, the way a hand-written loop does; returns the
    seconds spent setting up and in the loop."""
    builder = _NAIVE[case.service]
    session = requests.Session()
    try:
        started = time.perf_counter()
        send, _ = builder(case, url, session)
        ready = time.perf_counter()
        for job_id in job_ids:
            response = send(job_id)
            response.raise_for_status()
        return ready - started, time.perf_counter() - ready
    finally:
        session.close()


Sender = Callable[[str], requests.Response]


def _huawei_signer(case: Case, url: str) -> tuple[Any, Any]:
    hook: Any = make_hook(case, url)
    return hook, hook._build_aksk_auth()


def _naive_mrs(case: Case, url: str, session: requests.Session) -> tuple[Sender, int]:
    hook, auth = _huawei_signer(case, url)
    target = hook._jobs_url(case.params["cluster_id"], "/batch-delete")
    return lambda job_id: session.post(target, json={"job_id_list": [job_id]}, auth=auth, timeout=60), 0


def _naive_dli(case: Case, url: str, session: requests.Session) -> tuple[Sender, int]:
    hook, auth = _huawei_signer(case, url)
    target = hook._url("/delete")
    return lambda job_id: session.post(target, json={"job_ids": [int(job_id)]}, auth=auth, timeout=60), 0


def _naive_res(case: Case, url: str, session: requests.Session) -> tuple[Sender, int]:
    hook, auth = _huawei_signer(case, url)
    target = hook._url("/del-job")
    base = {"type": case.params["type"], "offline_platform": case.params["offline_platform"]}
    return lambda job_id: session.delete(target, json={"job_id": job_id, **base}, auth=auth, timeout=60), 0


def _naive_ehpc(case: Case, url: str, session: requests.Session) -> tuple[Sender, int]:
    from airflow_provider_jobcleanup.auth.alibaba_acs3 import AlibabaAcs3Auth
    from airflow_provider_jobcleanup.hooks.alibaba_ehpc import API_VERSION
    from benchmarks.common import profile_connection

    spec = profile_connection(case.profile, url)
    auth = AlibabaAcs3Auth(spec["login"], spec["password"], version=API_VERSION)
    headers = {"x-acs-action": "DeleteJobs", "Accept": "application/json"}

    def send(job_id: str) -> requests.Response:
        params = {"JobSpec": f'[{{"JobId":"{job_id}"}}]'}
        return session.post(f"{url}/", params=params, headers=headers, auth=auth, timeout=60)

    return send, 0


def _naive_scnet(case: Case, url: str, session: requests.Session) -> tuple[Sender, int]:
    hook: Any = make_hook(case, url)
    # what a hand-written script does first: log in, read the center and the cluster (3 calls)
    token = hook.token_provider.token(hook.transport)
    hpc_url, manager, user = hook.hpc_url, hook.default_job_manager_id, hook.cluster_user
    target = f"{hpc_url}/hpc/openapi/v2/jobs"

    def send(job_id: str) -> requests.Response:
        params = {"jobMethod": "5", "strJobInfoMap": f"{manager},{user}:{job_id}:"}
        return session.delete(target, params=params, headers={"token": token}, timeout=60)

    return send, hook.api_calls


_NAIVE: dict[str, Callable[[Case, str, requests.Session], tuple[Sender, int]]] = {
    "mrs": _naive_mrs,
    "dli": _naive_dli,
    "res": _naive_res,
    "ehpc": _naive_ehpc,
    "scnet": _naive_scnet,
}


# ----------------------------------------------------------------------------------------------- official SDKs
def sdk_client(case: Case, url: str) -> Any:
    """The official SDK client of ``case`` pointed at the emulator (the way the integration tests do it)."""
    from benchmarks.common import profile_connection

    spec = profile_connection(case.profile, url)
    if case.service in ("mrs", "dli"):
        from huaweicloudsdkcore.auth.credentials import BasicCredentials
        from huaweicloudsdkcore.http.http_config import HttpConfig

        if case.service == "mrs":
            from huaweicloudsdkmrs.v2 import MrsClient as client_class
        else:
            from huaweicloudsdkdli.v1 import DliClient as client_class
        credentials = BasicCredentials(spec["login"], spec["password"], spec["extra"]["project_id"])
        return (
            client_class.new_builder()
            .with_http_config(HttpConfig.get_default_config())
            .with_credentials(credentials)
            .with_endpoints([url])
            .build()
        )
    if case.service == "ehpc":
        from alibabacloud_ehpcinstant20230701.client import Client
        from alibabacloud_tea_openapi.utils_models import Config

        config = Config(
            access_key_id=spec["login"],
            access_key_secret=spec["password"],
            endpoint=urlsplit(url).netloc,
            protocol="http",
            region_id=spec["extra"]["region"],
        )
        return Client(config)
    raise ValueError(f"no official SDK comparison for {case.service}")


def sdk_delete(case: Case, url: str, job_ids: Sequence[str]) -> tuple[float, float]:
    """Build the official client and delete ``job_ids`` one call per job; returns the seconds spent building
    the client and in the loop."""
    started = time.perf_counter()
    client = sdk_client(case, url)
    ready = time.perf_counter()
    if case.service == "mrs":
        from huaweicloudsdkmrs.v2 import BatchDeleteJobsRequest, JobBatchDelete

        for job_id in job_ids:
            client.batch_delete_jobs(
                BatchDeleteJobsRequest(cluster_id=case.params["cluster_id"], body=JobBatchDelete(job_id_list=[job_id]))
            )
    elif case.service == "dli":
        from huaweicloudsdkdli.v1 import BatchDeleteFlinkJobsRequest, BatchDeleteFlinkJobsRequestBody

        for job_id in job_ids:
            answer = client.batch_delete_flink_jobs(
                BatchDeleteFlinkJobsRequest(body=BatchDeleteFlinkJobsRequestBody(job_ids=[int(job_id)]))
            )
            if any(str(item.is_success).lower() != "true" for item in answer.body):
                raise RuntimeError("official DLI client: a job was not deleted")
    else:
        from alibabacloud_ehpcinstant20230701 import models

        for job_id in job_ids:
            client.delete_jobs(models.DeleteJobsRequest(job_spec=[models.DeleteJobsRequestJobSpec(job_id=job_id)]))
    return ready - started, time.perf_counter() - ready
