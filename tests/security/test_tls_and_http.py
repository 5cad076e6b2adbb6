"""TLS verification is on by default, and plain ``http://`` is refused unless loopback or explicitly allowed."""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from airflow_provider_jobcleanup.connection_settings import check_endpoint, extra_flag, tls_verify
from airflow_provider_jobcleanup.exceptions import ConfigurationError, TransportError
from airflow_provider_jobcleanup.services import get_cleanup_hook
from chaos.harness import CHAOS_PROFILES, FakeTI, TransportProbe, profile
from tests.integration.huawei_helpers import connection_from
from tests.profiles.huawei import RES_PARAMS

#: the endpoint extras each profile's connection uses
ENDPOINT_KEYS = {
    "mrs": ("mrs_endpoint", "iam_endpoint"),
    "dli": ("dli_endpoint", "iam_endpoint"),
    "res": ("res_endpoint", "iam_endpoint"),
    "ehpc": ("endpoint",),
    "scnet": ("base_url",),
}


def hook_for(name: str, url: str, **extra):
    chosen = profile(name)
    spec = chosen.connection(url)
    spec["extra"] = {**spec["extra"], **extra}
    return chosen, get_cleanup_hook("tls", chosen.service, connection=connection_from(spec))


@pytest.mark.parametrize("name", CHAOS_PROFILES)
def test_tls_verification_is_on_by_default(name):
    _, hook = hook_for(name, "https://127.0.0.1:9")
    assert hook.transport.verify is True


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, True),
        (True, True),
        ("true", True),
        ("TRUE", True),
        (False, False),
        ("false", False),
        ("/etc/ssl/ca.pem", "/etc/ssl/ca.pem"),
    ],
)
def test_verify_extra(value, expected):
    assert tls_verify({} if value is None else {"verify": value}) == expected


@pytest.mark.parametrize("value", [1.5, [], {}, "", "  "])
def test_verify_extra_rejects_nonsense(value):
    with pytest.raises(ConfigurationError, match="verify"):
        tls_verify({"verify": value})


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8765", "http://localhost:1", "http://[::1]:8765", "http://127.9.9.9", "https://example.com"],
)
def test_loopback_http_and_any_https_are_accepted(url):
    assert check_endpoint(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com",
        "http://10.0.0.1:8080",
        "http://localhost.example.com",
        "http://127.0.0.1.nip.io",
        "http://[2001:db8::1]",
        "http://0.0.0.0:80",
        "HTTP://example.com",
    ],
)
def test_plain_http_elsewhere_is_refused(url):
    with pytest.raises(ConfigurationError, match=r"plain http|not an http"):
        check_endpoint(url)
    assert check_endpoint(url, allow_insecure_http=True) == url.rstrip("/")


@pytest.mark.parametrize("value", ["false", "False", "no", "0", 0, False, None])
def test_allow_insecure_http_false_words_do_not_allow(value):
    """Regression: ``bool("false")`` is True; a JSON string "false" must not allow plain http."""
    assert extra_flag({"allow_insecure_http": value}, "allow_insecure_http") is False


@pytest.mark.parametrize("name", CHAOS_PROFILES)
def test_every_service_refuses_plain_http_to_a_remote_host_before_sending(emulator, monkeypatch, name):
    chosen = profile(name)
    for key in ENDPOINT_KEYS[chosen.service]:
        for flag in (None, "false", False):
            spec = chosen.connection(emulator.url)
            spec["extra"] = {**spec["extra"], key: "http://jobs.example.com"}
            if flag is not None:
                spec["extra"]["allow_insecure_http"] = flag
            monkeypatch.setenv("AIRFLOW_CONN_HTTP_TEST", json.dumps(spec))
            ids, params = chosen.seed(emulator, 1)
            from airflow_provider_jobcleanup.operators.batch_delete import BatchDeleteJobsOperator

            with TransportProbe() as probe, pytest.raises(ConfigurationError, match=r"jobs\.example\.com"):
                BatchDeleteJobsOperator(
                    task_id="t", conn_id="http_test", service=chosen.service, job_ids=ids, **params
                ).execute({"ti": FakeTI()})  # type: ignore[arg-type]
            assert probe.sends == 0
    assert emulator.stats().get("total", 0) == 0


@pytest.mark.parametrize("name", CHAOS_PROFILES)
def test_allow_insecure_http_true_lets_a_remote_http_endpoint_through(name):
    chosen = profile(name)
    key = ENDPOINT_KEYS[chosen.service][0]
    _, hook = hook_for(name, "http://127.0.0.1:9", **{key: "http://jobs.example.com", "allow_insecure_http": "true"})
    if chosen.service == "scnet":
        assert hook.base_url == "http://jobs.example.com"
    else:
        assert hook.endpoint == "http://jobs.example.com"


# ---------------------------------------------------------------------------------------------- real TLS
@pytest.fixture(scope="module")
def self_signed_server(tmp_path_factory):
    """An HTTPS server on 127.0.0.1 with a self-signed certificate (no CA anyone trusts)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            hits.append(self.path)
            body = b'{"RequestId": "tls-test", "JobList": [], "TotalCount": 0}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_DELETE = _answer

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}", str(cert_path), hits
    server.shutdown()


def test_an_untrusted_certificate_is_refused_by_default(self_signed_server):
    url, _, hits = self_signed_server
    _, hook = hook_for("ehpc-aksk", url, max_attempts=1)
    before = len(hits)
    with pytest.raises(TransportError) as caught:
        hook.get_job_states(["job-abcd1234"])
    assert "SSL" in repr(caught.value.__cause__)
    assert len(hits) == before  # the handshake failed: no request was read by the server


def test_a_given_ca_bundle_is_trusted_and_verify_false_skips_checks(self_signed_server):
    url, cert_path, hits = self_signed_server
    for verify in (cert_path, False):
        _, hook = hook_for("ehpc-aksk", url, max_attempts=1, verify=verify)
        before = len(hits)
        states = hook.get_job_states(["job-abcd1234"])  # an E-HPC ListJobs answer listing no job
        assert len(hits) > before
        assert set(states) == {"job-abcd1234"}


#: a valid status question per service: (job ids, service parameters)
QUESTION = {
    "mrs": (["3c7a5a6e-2f0b-4d6b-9d0e-0f4b5c1e2a7d"], {"cluster_id": "5a3e1a4d-6a0f-4b2c-9d7e-2f1a0b3c4d5e"}),
    "dli": (["1"], {}),
    "res": (["j1"], RES_PARAMS),
    "ehpc": (["job-abcd1234"], {}),
    "scnet": (["1"], {}),
}


@pytest.mark.parametrize("name", CHAOS_PROFILES)
def test_a_refused_endpoint_is_named_by_its_extra_with_the_reason(name):
    chosen = profile(name)
    for key in ENDPOINT_KEYS[chosen.service]:
        cases = [
            ("http://jobs.example.com", f"{key} 'http://jobs.example.com' uses plain http to a non-loopback host; "
             "use https or set allow_insecure_http=true in the connection extras"),
            ("ftp://jobs.example.com", f"{key} 'ftp://jobs.example.com' is not an http(s) URL"),
            (5, f"connection 'tls': {key} must be a URL string, got 5"),
        ]  # fmt: skip
        for value, message in cases:
            _, hook = hook_for(name, "http://127.0.0.1:9", **{key: value})
            with pytest.raises(ConfigurationError) as caught:
                job_ids, params = QUESTION[chosen.service]
                hook.get_job_states(job_ids, **params)
            assert str(caught.value) == message
            assert hook.api_calls == 0
