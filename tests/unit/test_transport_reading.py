"""How the transport sends and reads, over a real socket: compressed bodies are decoded (and the size cap counts
the decoded bytes), the cap is exact at its boundary whether the size is declared or streamed, and an answer
that outlasts its attempt or breaks off mid-body is a TransportError naming the call, never a short success; a
rejected cached token is fetched again once and the same request sent again, and nothing else is re-sent."""

from __future__ import annotations

import gzip
import json
import logging
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from airflow_provider_jobcleanup.answers import Answer, default_error_parser
from airflow_provider_jobcleanup.connection_settings import AnswerLimits, RetryPolicy, Timeouts
from airflow_provider_jobcleanup.exceptions import (
    ApiError,
    AuthenticationError,
    ClockSkewError,
    RedirectRefusedError,
    TransientServiceError,
    TransportError,
    UnexpectedAnswerError,
)
from airflow_provider_jobcleanup.transport import ApiTransport

LIMIT = 4096
ONCE = RetryPolicy(max_attempts=1)
#: path -> what the server does with the request's handler
Behaviour = Callable[[BaseHTTPRequestHandler], None]


def send(status: int, body: bytes, *, declare: bool = True, encoding: str | None = None) -> Behaviour:
    def behave(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        if encoding:
            handler.send_header("Content-Encoding", encoding)
        if declare:
            handler.send_header("Content-Length", str(len(body)))
        else:  # the body ends when the connection closes
            handler.send_header("Connection", "close")
            handler.close_connection = True
        handler.end_headers()
        handler.wfile.write(body)
        handler.wfile.flush()

    return behave


def drip(body: bytes, every: float) -> Behaviour:
    def behave(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        try:
            for byte in body:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
                time.sleep(every)
        except OSError:  # the client gave up: what the test expects
            pass

    return behave


def cut_short(handler: BaseHTTPRequestHandler) -> None:
    """Declares 100 bytes, sends 10, closes the connection."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", "100")
    handler.end_headers()
    handler.wfile.write(b'{"jobs": [')
    handler.wfile.flush()
    handler.close_connection = True


@pytest.fixture
def server() -> Iterator[tuple[str, dict[str, Behaviour]]]:
    routes: dict[str, Behaviour] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            routes[self.path.partition("?")[0]](self)

        do_POST = do_DELETE = do_GET

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", routes
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def transport(attempt: float = 10.0, read: float = 2.0) -> ApiTransport:
    return ApiTransport(
        "svc",
        retry=ONCE,
        limits=AnswerLimits(max_bytes=LIMIT),
        timeouts=Timeouts(connect=2, read=read, attempt=attempt),
    )


def json_of_size(size: int) -> bytes:
    """A JSON string literal of exactly ``size`` bytes."""
    return b'"' + b"a" * (size - 2) + b'"'


@pytest.mark.parametrize("declare", [True, False], ids=["declared", "streamed"])
def test_an_answer_of_exactly_the_cap_is_read_whole(server, declare):
    url, routes = server
    routes["/a"] = send(200, json_of_size(LIMIT), declare=declare)
    answer = transport().request("GET", url + "/a")
    assert len(answer.content) == LIMIT
    assert answer.json() == "a" * (LIMIT - 2)


@pytest.mark.parametrize("declare", [True, False], ids=["declared", "streamed"])
def test_one_byte_over_the_cap_is_refused_naming_the_cap(server, declare):
    url, routes = server
    routes["/a"] = send(200, json_of_size(LIMIT + 1), declare=declare)
    with pytest.raises(UnexpectedAnswerError) as caught:
        transport().request("GET", url + "/a?token=secret")
    err = caught.value
    host = url.removeprefix("http://")
    assert err.message == (
        f"GET {host}/a: the answer is larger than {LIMIT} bytes (connection extra max_answer_bytes)"
    )  # fmt: skip
    assert (err.service, err.status_code) == ("svc", 200)


def test_a_declared_size_over_the_cap_is_refused_before_the_body_is_read(server):
    url, routes = server

    def declares_much_sends_little(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(200 * 1024 * 1024))
        handler.end_headers()
        handler.wfile.write(b'{"jobs": [')
        handler.wfile.flush()
        time.sleep(3)  # a reader waiting for the rest would wait here

    routes["/big"] = declares_much_sends_little
    started = time.monotonic()
    with pytest.raises(UnexpectedAnswerError, match=f"larger than {LIMIT} bytes"):
        transport().request("GET", url + "/big")
    assert time.monotonic() - started < 1.5


def test_a_gzip_answer_is_decoded(server):
    url, routes = server
    routes["/z"] = send(200, gzip.compress(b'{"jobs": [1, 2]}'), encoding="gzip")
    assert transport().request("GET", url + "/z").json() == {"jobs": [1, 2]}


def test_the_cap_counts_decoded_bytes_so_a_small_compressed_bomb_is_refused(server):
    url, routes = server
    bomb = gzip.compress(json_of_size(LIMIT * 50))
    assert len(bomb) < LIMIT  # what arrives is small; what it decodes to is not
    routes["/z"] = send(200, bomb, encoding="gzip")
    with pytest.raises(UnexpectedAnswerError, match=f"larger than {LIMIT} bytes"):
        transport().request("GET", url + "/z")


def test_an_answer_still_arriving_at_the_attempt_deadline_is_a_transport_error(server):
    url, routes = server
    routes["/slow"] = drip(json_of_size(200), every=0.02)
    started = time.monotonic()
    with pytest.raises(TransportError) as caught:
        transport(attempt=0.3).request("GET", url + "/slow")
    assert time.monotonic() - started < 2.0
    err = caught.value
    host = url.removeprefix("http://")
    assert err.message == f"GET {host}/slow: the answer was not complete within 0.3s"
    assert (err.service, err.status_code, err.retryable) == ("svc", 200, True)


def test_an_answer_cut_short_is_a_transport_error_naming_what_broke(server):
    url, routes = server
    routes["/cut"] = cut_short
    with pytest.raises(TransportError) as caught:
        transport().request("GET", url + "/cut")
    err = caught.value
    host = url.removeprefix("http://")
    assert err.message == f"GET {host}/cut: reading the answer failed: {type(err.__cause__).__name__}"
    assert type(err.__cause__).__name__ in {"ProtocolError", "IncompleteRead", "ChunkedEncodingError"}
    assert err.service == "svc" and err.retryable


def test_a_300_is_a_redirect_and_is_refused(server):
    url, routes = server

    def multiple_choices(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(300)
        handler.send_header("Location", "http://127.0.0.3:1/elsewhere")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    routes["/r"] = multiple_choices
    with pytest.raises(RedirectRefusedError, match=r"redirect to host '127\.0\.0\.3'"):
        transport().request("GET", url + "/r")


def test_an_error_answer_without_a_body_is_named_by_its_status_reason(server):
    url, routes = server
    routes["/e"] = send(503, b"")
    with pytest.raises(TransientServiceError) as caught:
        transport().request("GET", url + "/e")
    assert "Service Unavailable" in caught.value.message


def test_each_answer_is_logged_with_host_path_status_and_time_never_the_query(server, caplog):
    url, routes = server
    routes["/a"] = send(200, b"{}")
    with caplog.at_level(logging.DEBUG, logger="airflow_provider_jobcleanup.transport"):
        started = time.monotonic()
        transport().request("GET", url + "/a?token=secret")
        took = time.monotonic() - started
    [line] = [r.getMessage() for r in caplog.records if r.name == "airflow_provider_jobcleanup.transport"]
    logged = re.fullmatch(rf"svc: GET {re.escape(url.removeprefix('http://'))}/a -> 200 in (\d+\.\d{{3}})s", line)
    assert logged, line
    assert float(logged.group(1)) <= took + 0.0005  # the time the call took (to the millisecond), not a clock reading


def test_the_error_parser_is_handed_the_answer_as_it_came(server):
    url, routes = server

    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(201, "Made")
        handler.send_header("Content-Type", "application/json")
        handler.send_header("X-Request-Id", "req-1")
        handler.send_header("Content-Length", "8")
        handler.end_headers()
        handler.wfile.write(b'{"a": 1}')

    def no_reason(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200, "")  # a status line without a reason phrase
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    routes["/made"] = answer
    routes["/bare"] = no_reason
    seen: list[Answer] = []

    def parser(got: Answer) -> ApiError | None:
        seen.append(got)
        return None

    returned = transport().request("POST", url + "/made", params={"q": "1"}, error_parser=parser)
    transport().request("GET", url + "/bare", error_parser=parser)
    made, bare = seen
    assert returned is made
    assert (made.status_code, made.reason, made.content, made.url) == (201, "Made", b'{"a": 1}', url + "/made")
    assert made.headers["x-request-id"] == "req-1" and made.headers["Content-Type"] == "application/json"
    assert (bare.status_code, bare.reason, bare.content, bare.url) == (200, "", b"", url + "/bare")


def test_a_server_that_never_answers_is_given_up_after_the_read_timeout(server):
    url, routes = server

    def stall(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(3)  # no status line at all, then the connection closes
        handler.close_connection = True

    routes["/stall"] = stall
    started = time.monotonic()
    with pytest.raises(TransportError) as caught:
        transport(read=0.3).request("GET", url + "/stall?token=secret")
    assert time.monotonic() - started < 2.5
    err = caught.value
    assert str(err) == f"[svc] GET {url.removeprefix('http://')}/stall failed: ReadTimeout"
    assert err.service == "svc" and err.retryable


def test_a_refused_connection_is_a_transport_error_naming_the_call():
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TransportError) as caught:
        transport().request("DELETE", f"http://127.0.0.1:{port}/jobs?id=1")
    err = caught.value
    assert str(err) == f"[svc] DELETE 127.0.0.1:{port}/jobs failed: ConnectionError"
    assert err.service == "svc" and err.retryable


class TokenAuth(requests.auth.AuthBase):
    """A cached token: ``invalidate`` drops it and the next request fetches the next one."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.dropped = 0

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["X-Auth-Token"] = self.tokens[0]
        return request

    def invalidate(self) -> None:
        self.dropped += 1
        self.tokens.pop(0)


def recording(answers: list[tuple[int, dict]], seen: list[dict]) -> Behaviour:
    """Records each request (method, path with query, token, a header, body) and answers the next of ``answers``."""

    def behave(handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        seen.append(
            {
                "method": handler.command,
                "path": handler.path,
                "token": handler.headers.get("X-Auth-Token"),
                "extra": handler.headers.get("X-Extra"),
                "body": handler.rfile.read(length),
            }
        )
        status, body = answers.pop(0)
        send(status, json.dumps(body).encode())(handler)

    return behave


REFUSED = (401, {"error_code": "APIGW.0301", "error_msg": "token expired"})


def answering(routes: dict[str, Behaviour], path: str, answers: list[tuple[int, dict]]) -> list[dict]:
    """Serve ``answers`` in turn on ``path``; returns the list the requests are recorded in."""
    seen: list[dict] = []
    routes[path] = recording(answers, seen)
    return seen


def test_a_rejected_token_is_fetched_again_once_and_the_same_request_sent_again(server, caplog):
    url, routes = server
    seen = answering(routes, "/jobs", [REFUSED, (200, {"ok": True})])
    auth = TokenAuth(["old", "new"])
    with caplog.at_level(logging.INFO, logger="airflow_provider_jobcleanup.transport"):
        answer = ApiTransport("svc", auth=auth, retry=ONCE).request(
            "POST", url + "/jobs", params={"a": "1"}, json={"job_ids": ["1"]}, headers={"X-Extra": "v"}
        )
    assert answer.json() == {"ok": True}
    assert auth.dropped == 1
    assert [r["token"] for r in seen] == ["old", "new"]
    first, again = ({k: v for k, v in r.items() if k != "token"} for r in seen)
    assert first == again == {"method": "POST", "path": "/jobs?a=1", "extra": "v", "body": b'{"job_ids": ["1"]}'}
    host = url.removeprefix("http://")
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert lines == [f"svc: credential rejected for POST {host}/jobs; re-authenticating once"]


def test_a_token_rejected_again_after_the_new_login_is_an_error_after_two_sends(server):
    url, routes = server
    seen = answering(routes, "/jobs", [REFUSED, REFUSED, (200, {})])
    auth = TokenAuth(["old", "new", "newer"])
    transport_ = ApiTransport("svc", auth=auth, retry=RetryPolicy(max_attempts=3))
    with pytest.raises(AuthenticationError, match="token expired"):
        transport_.request("GET", url + "/jobs")
    assert [r["token"] for r in seen] == ["old", "new"]  # never retried further: credentials stop the run
    assert transport_.calls == 2


def test_an_unauthenticated_call_refused_is_not_sent_again(server):
    url, routes = server
    seen = answering(routes, "/login", [REFUSED, (200, {})])
    auth = TokenAuth(["old", "new"])
    with pytest.raises(AuthenticationError):
        ApiTransport("svc", auth=auth, retry=ONCE).request("POST", url + "/login", authenticate=False)
    assert [r["token"] for r in seen] == [None]  # no token sent, none dropped
    assert auth.dropped == 0


def test_a_clock_skew_refusal_is_not_a_reason_to_log_in_again(server):
    url, routes = server
    seen = answering(routes, "/jobs", [REFUSED, (200, {})])
    auth = TokenAuth(["old", "new"])
    fallback = default_error_parser("svc")

    def skew(answer: Answer) -> ApiError | None:
        if answer.status_code == 401:
            return ClockSkewError("request time too skewed", service="svc", status_code=401)
        return fallback(answer)

    with pytest.raises(ClockSkewError):
        ApiTransport("svc", auth=auth, error_parser=skew, retry=ONCE).request("GET", url + "/jobs")
    assert len(seen) == 1 and auth.dropped == 0


def test_an_auth_without_a_cache_is_not_asked_to_log_in_again(server):
    url, routes = server
    seen = answering(routes, "/jobs", [REFUSED, (200, {})])

    def static(request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["X-Auth-Token"] = "fixed"
        return request

    with pytest.raises(AuthenticationError):
        ApiTransport("svc", auth=static, retry=ONCE).request("GET", url + "/jobs")  # type: ignore[arg-type]
    assert len(seen) == 1
