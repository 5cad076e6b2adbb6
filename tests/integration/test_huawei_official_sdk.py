"""The official Huawei Cloud SDK clients (MRS v2, DLI v1) against the emulator over real HTTP.

They sign with their own SDK-HMAC-SHA256 implementation, so a pass here proves that the emulator's
signature check (and hence the emulator as a test double) agrees with the real signer, independently of
the provider's own signer.
"""

from __future__ import annotations

import pytest

from airflow_provider_jobcleanup.emulator.huawei_mrs import DEFAULT_CLUSTER_ID
from tests.profiles.huawei import IDENTITY

sdk_core = pytest.importorskip("huaweicloudsdkcore")
from huaweicloudsdkcore.auth.credentials import BasicCredentials  # noqa: E402
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException  # noqa: E402
from huaweicloudsdkcore.http.http_config import HttpConfig  # noqa: E402

mrs_v2 = pytest.importorskip("huaweicloudsdkmrs.v2")
dli_v1 = pytest.importorskip("huaweicloudsdkdli.v1")


def _credentials(secret_key: str = IDENTITY.secret_key, temporary: bool = False) -> BasicCredentials:
    if temporary:
        credentials = BasicCredentials(
            IDENTITY.temp_access_key, IDENTITY.temp_secret_key, IDENTITY.project_id
        )
        return credentials.with_security_token(IDENTITY.security_token)
    return BasicCredentials(IDENTITY.access_key, secret_key, IDENTITY.project_id)


def _build(client_class, url: str, credentials: BasicCredentials):
    config = HttpConfig.get_default_config()
    config.retry_times = 0
    config.timeout = (5, 30)
    return (
        client_class.new_builder()
        .with_http_config(config)
        .with_credentials(credentials)
        .with_endpoints([url])
        .build()
    )


def test_official_mrs_client_deletes_jobs(emulator):
    targets = emulator.seed("mrs", 3, state="FAILED")
    bystander = emulator.seed("mrs", 1, state="FAILED")
    client = _build(mrs_v2.MrsClient, emulator.url, _credentials())
    request = mrs_v2.BatchDeleteJobsRequest(
        cluster_id=DEFAULT_CLUSTER_ID, body=mrs_v2.JobBatchDelete(job_id_list=targets)
    )
    response = client.batch_delete_jobs(request)
    assert response.status_code == 200
    assert emulator.live_ids("mrs") == set(bystander)
    assert emulator.stats()["mrs.batch_delete"] == 1


def test_official_dli_client_deletes_flink_jobs(emulator):
    targets = emulator.seed("dli", 3)
    bystander = emulator.seed("dli", 1)
    client = _build(dli_v1.DliClient, emulator.url, _credentials())
    request = dli_v1.BatchDeleteFlinkJobsRequest(
        body=dli_v1.BatchDeleteFlinkJobsRequestBody(job_ids=[int(j) for j in targets])
    )
    response = client.batch_delete_flink_jobs(request)
    assert response.status_code == 200
    assert [item.is_success for item in response.body] == ["true", "true", "true"]
    assert emulator.live_ids("dli") == set(bystander)


def test_official_dli_client_reads_a_job_and_lists(emulator):
    target = emulator.seed("dli", 1, state="job_running", name="etl")[0]
    client = _build(dli_v1.DliClient, emulator.url, _credentials())
    detail = client.show_flink_job(dli_v1.ShowFlinkJobRequest(job_id=int(target)))
    assert detail.job_detail.status == "job_running"
    listed = client.list_flink_jobs(dli_v1.ListFlinkJobsRequest(limit=10, offset=0, status="job_running"))
    assert [job.job_id for job in listed.job_list.jobs] == [int(target)]


def test_official_client_with_temporary_credentials(emulator):
    targets = emulator.seed("dli", 2)
    client = _build(dli_v1.DliClient, emulator.url, _credentials(temporary=True))
    client.batch_delete_flink_jobs(
        dli_v1.BatchDeleteFlinkJobsRequest(
            body=dli_v1.BatchDeleteFlinkJobsRequestBody(job_ids=[int(j) for j in targets])
        )
    )
    assert emulator.live_ids("dli") == set()


@pytest.mark.parametrize("service", ["mrs", "dli"])
def test_official_clients_are_refused_with_a_wrong_secret_key(emulator, service):
    targets = emulator.seed(service, 2)
    credentials = _credentials(secret_key="not-the-secret-key")
    if service == "mrs":
        client = _build(mrs_v2.MrsClient, emulator.url, credentials)
        request = mrs_v2.BatchDeleteJobsRequest(
            cluster_id=DEFAULT_CLUSTER_ID, body=mrs_v2.JobBatchDelete(job_id_list=targets)
        )
        call = client.batch_delete_jobs
    else:
        client = _build(dli_v1.DliClient, emulator.url, credentials)
        request = dli_v1.BatchDeleteFlinkJobsRequest(
            body=dli_v1.BatchDeleteFlinkJobsRequestBody(job_ids=[int(j) for j in targets])
        )
        call = client.batch_delete_flink_jobs
    with pytest.raises(ClientRequestException) as info:
        call(request)
    assert info.value.status_code == 401
    assert info.value.error_code == "APIGW.0301"
    assert "verify aksk signature fail" in info.value.error_msg
    assert emulator.live_ids(service) == set(targets)


def test_official_client_not_found_code_is_dli_16001(emulator):
    client = _build(dli_v1.DliClient, emulator.url, _credentials())
    with pytest.raises(ClientRequestException) as info:
        client.show_flink_job(dli_v1.ShowFlinkJobRequest(job_id=424242))
    assert info.value.status_code == 400
    assert info.value.error_code == "DLI.16001"
