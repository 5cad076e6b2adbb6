"""How the transport reads an answer, over a real socket: compressed bodies are decoded (and the size cap counts
the decoded bytes), the cap is exact at its boundary whether the size is declared or streamed, and an answer
that outlasts its attempt or breaks off mid-body is a TransportError naming the call, never a short success."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from airflow_provider_jobcleanup.connection_settings import AnswerLimits, RetryPolicy, Timeouts
from airflow_provider_jobcleanup.exceptions import TransportError, UnexpectedAnswerError
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


def transport(attempt: float = 10.0) -> ApiTransport:
    return ApiTransport(
        "svc", retry=ONCE, limits=AnswerLimits(max_bytes=LIMIT), timeouts=Timeouts(connect=2, read=2, attempt=attempt)
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
