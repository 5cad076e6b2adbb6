"""The transport builds its ``PreparedRequest`` itself (performance); it must send what ``session.request`` sends.

Compared field by field with what ``requests.Session.prepare_request`` builds for the same input, on generated
URLs, parameters and headers; JSON bodies are compact (the only intended difference) and decode the same.
"""

from __future__ import annotations

import json
from urllib.parse import quote_plus

import pytest
import requests
import responses
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_provider_jobcleanup.exceptions import TransientServiceError
from airflow_provider_jobcleanup.transport import ApiTransport, RetryPolicy, encode_query, form_encode

FAST = RetryPolicy(max_attempts=3, initial_wait=0.001, max_wait=0.002, jitter=0.0)

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
ascii_text = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127), max_size=30)
params_strategy = st.dictionaries(st.one_of(text, ascii_text), st.one_of(text, ascii_text, st.none()), max_size=6)
paths = st.lists(st.text(alphabet="abcXYZ019-_.~%:@!$&'()*+,;= é/", max_size=12), max_size=4).map("/".join)
hosts = st.sampled_from(["svc.example.test", "SVC.Example.test:8443", "127.0.0.1:8765", "[::1]:80"])


def reference(method: str, url: str, params, headers) -> requests.PreparedRequest:
    session = requests.Session()
    session.trust_env = False
    return session.prepare_request(requests.Request(method.upper(), url, params=params or {}, headers=headers))


def ours(method: str, url: str, params, headers, body=None) -> requests.PreparedRequest:
    transport = ApiTransport("svc")
    target = transport._target(url)
    return transport._prepare(method, url, target, params, body, None, headers, False)


@given(value=st.one_of(text, ascii_text))
def test_form_encode_is_quote_plus(value):
    assert form_encode(value) == quote_plus(value, safe="")


@settings(max_examples=300, deadline=None)
@given(scheme=st.sampled_from(["http", "https"]), host=hosts, path=paths, params=params_strategy)
def test_url_is_what_requests_builds(scheme, host, path, params):
    url = f"{scheme}://{host}/{path}"
    try:
        expected = reference("GET", url, params, None).url
    except requests.exceptions.RequestException:
        return
    prepared = ours("GET", url, params, None)
    assert prepared.url == expected
    query = encode_query(params)
    if query is not None and query.text:
        assert prepared.url.endswith("?" + query.text)


@pytest.mark.parametrize(
    "url, params",
    [
        ("https://svc.example.test/v1/jobs?a=1", {"b": "2"}),  # a query already: requests' own path
        ("https://svc.example.test/v1/jobs#frag", {"b": "2"}),
        ("https://svc.example.test", {"b": ["1", "2"], "c": 3}),  # lists, numbers
        ("https://svc.example.test/v1", {}),
        ("https://svc.example.test/v1", {"only": None}),
    ],
)
def test_url_fallbacks_match_requests(url, params):
    assert ours("GET", url, params, None).url == reference("GET", url, params, None).url


@settings(max_examples=100, deadline=None)
@given(
    headers=st.dictionaries(
        st.sampled_from(["Accept", "accept", "X-Acs-Action", "Content-Type", "User-Agent", "x-one"]),
        st.one_of(st.text(alphabet="abc/;=-", min_size=1, max_size=10), st.none()),
        max_size=4,
    ),
    method=st.sampled_from(["get", "POST", "DELETE"]),
)
def test_headers_and_method_are_what_requests_builds(headers, method):
    expected = reference(method, "https://svc.example.test/x", None, headers)
    prepared = ours(method, "https://svc.example.test/x", None, headers)
    assert prepared.method == expected.method
    assert list(prepared.headers.items()) == list(expected.headers.items())
    assert prepared.hooks == expected.hooks and prepared.body == expected.body


def test_json_body_is_compact_and_typed():
    prepared = ours("POST", "https://svc.example.test/x", None, None, body={"job_ids": [1, 2], "name": "é"})
    assert prepared.body == b'{"job_ids":[1,2],"name":"\\u00e9"}'
    assert json.loads(prepared.body) == {"job_ids": [1, 2], "name": "é"}
    assert prepared.headers["Content-Type"] == "application/json"
    assert prepared.headers["Content-Length"] == str(len(prepared.body))
    explicit = ours("POST", "https://svc.example.test/x", None, {"Content-Type": "application/bson"}, body=[1])
    assert explicit.headers["Content-Type"] == "application/bson"
    with pytest.raises(requests.exceptions.InvalidJSONError):
        ours("POST", "https://svc.example.test/x", None, None, body={"x": float("nan")})


@responses.activate
def test_session_cookies_and_hooks_still_apply():
    responses.get("https://svc.example.test/a", json={}, headers={"Set-Cookie": "lb=node1; Path=/"})
    responses.get("https://svc.example.test/b", json={})
    transport = ApiTransport("svc", retry=FAST)
    seen: list[str] = []
    transport.session.hooks["response"].append(lambda response, **_: seen.append(response.url))
    transport.request("GET", "https://svc.example.test/a")
    transport.request("GET", "https://svc.example.test/b", params={"q": "1 2"})
    assert responses.calls[1].request.headers["Cookie"] == "lb=node1"
    assert responses.calls[1].request.url == "https://svc.example.test/b?q=1+2"
    assert seen == ["https://svc.example.test/a", "https://svc.example.test/b?q=1+2"]


@responses.activate
def test_fast_path_keeps_attempt_count_retries_and_retry_after():
    responses.post("https://svc.example.test/x", status=503, headers={"Retry-After": "0"})
    responses.post("https://svc.example.test/x", status=429, headers={"Retry-After": "0"})
    responses.post("https://svc.example.test/x", json={"ok": True})
    transport = ApiTransport("svc", retry=FAST)
    assert transport.request("POST", "https://svc.example.test/x", json={}).json() == {"ok": True}
    assert (transport.calls, transport.retries) == (3, 2)
    responses.reset()
    for _ in range(5):
        responses.post("https://svc.example.test/x", status=503)
    transport = ApiTransport("svc", retry=FAST)
    with pytest.raises(TransientServiceError):
        transport.request("POST", "https://svc.example.test/x")
    assert (transport.calls, transport.retries) == (FAST.max_attempts, FAST.max_attempts - 1)


@settings(max_examples=200, deadline=None)
@given(value=st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=127), min_size=256, max_size=600))
def test_form_encode_of_long_ascii_is_quote_plus(value):
    assert form_encode(value) == quote_plus(value, safe="")


# ----------------------------------------------------------------------------------------------- signers
# The transport hands its encoded parameters to the signers (``jobcleanup_query``); a request built and
# signed that way must carry exactly the URL and signature of the same request built by requests and signed
# from its parsed query string (the oracle tests compare that path with the official SDKs).

NOW = __import__("datetime").datetime(2025, 3, 14, 9, 26, 53, tzinfo=__import__("datetime").timezone.utc)
query_params = st.dictionaries(st.one_of(text, ascii_text), st.one_of(text, ascii_text, st.none()), max_size=5)


def _both(method, url, params, headers, body):
    """(transport-built, requests-built) prepared requests, unsigned."""
    transport = ApiTransport("svc")
    mine = transport._prepare(method, url, transport._target(url), params, None, body, headers, False)
    theirs = requests.Request(method, url, params=params, headers=headers, data=body).prepare()
    assert mine.url == theirs.url
    return mine, theirs


@settings(max_examples=150, deadline=None)
@given(
    params=query_params,
    method=st.sampled_from(["GET", "POST", "DELETE"]),
    body=st.sampled_from([None, b"", b'{"a":1}', b"x=1"]),
    content_type=st.sampled_from([None, "application/json", "text/plain"]),
)
def test_huawei_signature_is_the_same_with_the_transports_query(params, method, body, content_type):
    from airflow_provider_jobcleanup.auth import huawei_aksk

    headers = {"Content-Type": content_type} if content_type else None
    mine, theirs = _both(method, "https://dli.example.test/v1.0/p/jobs", params, headers, body)
    auth = huawei_aksk.HuaweiAkSkAuth("AK123", "SK456", "proj", security_token="tok")
    auth(mine, now=NOW)
    auth(theirs, now=NOW)
    assert mine.url == theirs.url
    assert mine.headers["Authorization"] == theirs.headers["Authorization"]
    # and both equal the module's step-by-step functions (the emulator checks requests with those)
    signed = {
        k: v
        for k, v in theirs.headers.items()
        if k in {"X-Sdk-Date", "Host", "Content-Type", "X-Sdk-Content-Sha256", "X-Project-Id", "X-Security-Token"}
    }
    split = __import__("urllib.parse").parse.urlsplit(theirs.url)
    pairs = __import__("urllib.parse").parse.parse_qsl(split.query, keep_blank_values=True)
    expected = huawei_aksk.sign_headers("AK123", "SK456", method, split.path, pairs, signed, body)
    assert theirs.headers["Authorization"] == expected


@settings(max_examples=150, deadline=None)
@given(params=query_params, body=st.sampled_from([None, b"", b'{"a":1}']))
def test_acs3_signature_is_the_same_with_the_transports_query(params, body):
    from airflow_provider_jobcleanup.auth.alibaba_acs3 import AlibabaAcs3Auth

    headers = {"x-acs-action": "DeleteJobs", "Accept": "application/json"}
    mine, theirs = _both("POST", "https://ehpc.example.test/", params, headers, body)
    assert "jobcleanup_query" in mine.__dict__ or not params
    auth = AlibabaAcs3Auth(
        "ak", "secret", security_token="sts", clock=lambda: "2025-01-01T00:00:00Z", nonce=lambda: "n"
    )
    assert auth(mine).headers["Authorization"] == auth(theirs).headers["Authorization"]


def test_a_query_changed_after_the_transport_built_it_is_parsed_again():
    from airflow_provider_jobcleanup.auth.alibaba_acs3 import AlibabaAcs3Auth

    headers = {"x-acs-action": "GetJob"}
    mine, theirs = _both("GET", "https://ehpc.example.test/", {"JobId": "job-1"}, headers, None)
    mine.url = theirs.url = "https://ehpc.example.test/?JobId=job-2"
    auth = AlibabaAcs3Auth("ak", "secret", clock=lambda: "2025-01-01T00:00:00Z", nonce=lambda: "n")
    assert auth(mine).headers["Authorization"] == auth(theirs).headers["Authorization"]
