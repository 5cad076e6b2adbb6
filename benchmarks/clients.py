"""The comparisons: what the provider's hooks are measured against.

* :func:`naive_delete`: the hand-rolled pattern users write today: one request per job, in a loop, with
  ``requests`` (a kept-alive ``requests.Session``, which is the *faster* way to write it; ``requests.post``
  per job would open a connection per job). Request signing is unavoidable on the wire, so the loop signs
  with the provider's signer classes (standing in for the vendor's copy-paste signer sample).
* :func:`record` / :func:`replay`: the floor: the very requests the hook sent (authentication and discovery
  included), captured on the wire and sent again, already signed, with the same concurrency (RES: 8): no
  retry, no signing, no error parsing, no report. Two bare clients: a ``requests.Session`` sending the
  prepared requests (the HTTP library the provider uses, nothing of the provider on top), and raw
  ``http.client`` keep-alive connections (not even ``requests``).
* :func:`sdk_delete`: the official SDKs (``huaweicloudsdkmrs``, ``huaweicloudsdkdli``,
  ``alibabacloud-ehpcinstant20230701``) sending the same batched deletes (100 jobs a call).
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from benchmarks.common import Case, make_hook

SDK_SERVICES: tuple[str, ...] = ("mrs", "dli", "ehpc")


# ----------------------------------------------------------------------------------------------- the floor
@dataclass(frozen=True)
class Recorded:
    """One request as it went on the wire."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    prepared: requests.PreparedRequest

    @classmethod
    def of(cls, sent: requests.PreparedRequest) -> Recorded:
        body = sent.body.encode() if isinstance(sent.body, str) else sent.body
        prepared = sent.copy()
        prepared.hooks = {"response": []}  # else replaying it through requests would record it again
        return cls(sent.method or "GET", sent.url or "", dict(sent.headers), body, prepared)  # type: ignore[arg-type]


class Recorder:
    """Captures every request a ``requests.Session`` sends (a response hook, so retries are seen too).

    The hook only keeps a reference to the ``PreparedRequest`` that was sent (the transport builds a new one
    per attempt and never changes it once sent); :attr:`requests` copies them afterwards, outside the measured
    run. (The hook used to copy each request and its headers itself: work charged to the measured run.)
    """

    def __init__(self, session: requests.Session) -> None:
        self._sent: list[requests.PreparedRequest] = []
        self._lock = threading.Lock()
        session.hooks["response"].append(self._hook)

    def _hook(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        with self._lock:
            self._sent.append(response.request)

    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return [Recorded.of(sent) for sent in self._sent]


def record(hook: Any) -> Recorder:
    """Start capturing what ``hook`` sends."""
    return Recorder(hook.transport.session)


def replay(recorded: Sequence[Recorded], concurrency: int = 1, client: str = "http.client") -> int:
    """Send ``recorded`` again, already signed, on bare keep-alive connections (``client``: ``http.client``
    or ``requests``); returns the failures (answers that are not 2xx)."""
    if not recorded:
        return 0
    slices = [list(recorded[i::concurrency]) for i in range(concurrency)]
    run = _replay_http_client if client == "http.client" else _replay_requests
    if concurrency == 1:
        return run(slices[0])
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return sum(pool.map(run, slices))


def _replay_http_client(batch: list[Recorded]) -> int:
    if not batch:
        return 0
    parts = urlsplit(batch[0].url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=60)
    failures = 0
    try:
        for item in batch:
            target = urlsplit(item.url)
            path = target.path + (f"?{target.query}" if target.query else "")
            connection.request(item.method, path, body=item.body, headers=item.headers)
            response = connection.getresponse()
            response.read()
            failures += not 200 <= response.status < 300
    finally:
        connection.close()
    return failures


def _replay_requests(batch: list[Recorded]) -> int:
    session = requests.Session()
    session.trust_env = False  # bare: no per-request environment scan for proxies
    failures = 0
    try:
        for item in batch:
            response = session.send(item.prepared.copy(), timeout=60)
            failures += not 200 <= response.status_code < 300
    finally:
        session.close()
    return failures


# ----------------------------------------------------------------------------------------------- naive loop
def naive_delete(case: Case, url: str, job_ids: Sequence[str]) -> int:
    """Delete ``job_ids`` one request per job, sequentially, the way a hand-written loop does; returns the
    number of requests sent (setup included)."""
    builder = _NAIVE[case.service]
    session = requests.Session()
    try:
        send, setup_calls = builder(case, url, session)
        for job_id in job_ids:
            response = send(job_id)
            response.raise_for_status()
        return setup_calls + len(job_ids)
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


def sdk_delete(case: Case, url: str, job_ids: Sequence[str], batch: int = 100) -> int:
    """Build the official client and delete ``job_ids`` in batches of ``batch``; returns the calls made."""
    client = sdk_client(case, url)
    chunks = [list(job_ids[i : i + batch]) for i in range(0, len(job_ids), batch)]
    if case.service == "mrs":
        from huaweicloudsdkmrs.v2 import BatchDeleteJobsRequest, JobBatchDelete

        for chunk in chunks:
            client.batch_delete_jobs(
                BatchDeleteJobsRequest(cluster_id=case.params["cluster_id"], body=JobBatchDelete(job_id_list=chunk))
            )
    elif case.service == "dli":
        from huaweicloudsdkdli.v1 import BatchDeleteFlinkJobsRequest, BatchDeleteFlinkJobsRequestBody

        for chunk in chunks:
            answer = client.batch_delete_flink_jobs(
                BatchDeleteFlinkJobsRequest(body=BatchDeleteFlinkJobsRequestBody(job_ids=[int(j) for j in chunk]))
            )
            if any(str(item.is_success).lower() != "true" for item in answer.body):
                raise RuntimeError("official DLI client: a job was not deleted")
    else:
        from alibabacloud_ehpcinstant20230701 import models

        for chunk in chunks:
            client.delete_jobs(
                models.DeleteJobsRequest(job_spec=[models.DeleteJobsRequestJobSpec(job_id=j) for j in chunk])
            )
    return len(chunks)
