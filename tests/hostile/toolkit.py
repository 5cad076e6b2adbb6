"""A misbehaving server for tests: a real HTTP server on 127.0.0.x in front of the emulator.

By default it forwards every request to the emulator unchanged (the ``Host`` header too, so signatures and
tokens are checked for real), and records every request it saw. Rules replace or rewrite chosen answers:

    with HostileServer(emulator_url) as server:
        server.on("POST", r"/batch-delete$", html_page())          # a captive portal instead of the answer
        server.on("GET", r"/job-executions$", rewrite(drop_key("total_record")), times=1)
        hook = make_hook(server.url)

A rule with ``times`` applies that many times, then the next matching rule (or forwarding) takes over.
Without an emulator behind it (``upstream=None``) it answers every unmatched request with ``{}``: the
"other host" of a redirect test, recording any credential that reached it.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.emulator_client import free_port


@dataclass
class Seen:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def text(self) -> str:
        """Everything the request carried, for "did this secret reach this host" checks."""
        return " ".join([self.path, json.dumps(self.query), json.dumps(self.headers), self.body.decode("latin-1")])


@dataclass
class Reply:
    """An answer to send: a body given whole, or as chunks with a pause before each (``drip``)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""
    pause: float = 0.0


#: forwards the request to the emulator and returns its answer
Forward = Callable[[], Reply]
Action = Callable[[Seen, Forward], Reply]


@dataclass
class Rule:
    method: str
    path: re.Pattern[str]
    action: Action
    times: int | None
    used: int = 0


def reply(status: int, body: Any = b"", content_type: str = "application/json", **headers: str) -> Action:
    """Always this answer (``body``: bytes, str, or an object sent as JSON)."""
    if not isinstance(body, (bytes, str)):
        body = json.dumps(body)
    data = body.encode() if isinstance(body, str) else body
    all_headers = {"Content-Type": content_type, **{k.replace("_", "-"): v for k, v in headers.items()}}
    return lambda seen, forward: Reply(status, all_headers, data)


def html_page(status: int = 200) -> Action:
    """A captive-portal style HTML page."""
    return reply(status, "<html><body><h1>Please log in to the network</h1></body></html>", "text/html")


def redirect(location: str, status: int = 302) -> Action:
    return lambda seen, forward: Reply(status, {"Location": location, "Content-Length": "0"})


def huge(size: int, content_type: str = "application/json", declare_length: bool = False) -> Action:
    """``size`` bytes of a JSON-looking body, streamed in 64 KiB chunks (``Content-Length`` optional)."""

    def chunks() -> Iterator[bytes]:
        sent = 0
        block = b"[" + b"0," * 32767
        while sent < size:
            part = block[: size - sent]
            sent += len(part)
            yield part

    headers = {"Content-Type": content_type}
    if declare_length:
        headers["Content-Length"] = str(size)
    return lambda seen, forward: Reply(200, headers, chunks())


def drip(body: bytes, every: float, content_type: str = "application/json") -> Action:
    """``body`` one byte at a time, ``every`` seconds apart."""
    return lambda seen, forward: Reply(200, {"Content-Type": content_type}, (bytes([b]) for b in body), every)


def rewrite(change: Callable[[Any], Any]) -> Action:
    """Forward, then replace the JSON body by ``change(body)`` (status and headers kept)."""

    def action(seen: Seen, forward: Forward) -> Reply:
        answer = forward()
        body = json.loads(bytes(answer.body)) if answer.body else None  # type: ignore[arg-type]
        headers = {k: v for k, v in answer.headers.items() if k.lower() != "content-length"}
        return Reply(answer.status, headers, json.dumps(change(body)).encode())

    return action


def echo_request(status: int = 400) -> Action:
    """An error whose message echoes every request header and the body (as some gateways do)."""

    def action(seen: Seen, forward: Forward) -> Reply:
        message = f"bad request: headers={seen.headers} body={seen.body.decode('latin-1')}"
        body = {"error_code": "GW.0001", "error_msg": message, "Code": "GW.0001", "Message": message}
        body.update({"code": "10004", "msg": message})
        return Reply(status, {"Content-Type": "application/json"}, json.dumps(body).encode())

    return action


class HostileServer:
    """See the module docstring. Use as a context manager; ``url`` is ``http://127.0.0.x:port``."""

    def __init__(self, upstream: str | None = None, host: str = "127.0.0.2") -> None:
        self.upstream = upstream
        self.host = host
        self.port = free_port()
        self.url = f"http://{host}:{self.port}"
        self.seen: list[Seen] = []
        self.rules: list[Rule] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def on(self, method: str, path: str, action: Action, *, times: int | None = None) -> HostileServer:
        """Answer requests of ``method`` (``*``: any) whose path matches the regex ``path`` with ``action``."""
        self.rules.append(Rule(method.upper(), re.compile(path), action, times))
        return self

    def clear(self) -> None:
        with self._lock:
            self.rules.clear()
            self.seen.clear()

    def requests(self, method: str = "*", path: str = "") -> list[Seen]:
        pattern = re.compile(path)
        with self._lock:
            return [s for s in self.seen if method in ("*", s.method) and pattern.search(s.path)]

    def __enter__(self) -> HostileServer:
        server = ThreadingHTTPServer((self.host, self.port), _handler(self))
        server.daemon_threads = True
        self._server = server
        # a short poll lets shutdown() return at once instead of after the default half second
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # ----------------------------------------------------------------- internals
    def _pick(self, seen: Seen) -> Action | None:
        with self._lock:
            self.seen.append(seen)
            for rule in self.rules:
                if rule.method in ("*", seen.method) and rule.path.search(seen.path):
                    if rule.times is not None and rule.used >= rule.times:
                        continue
                    rule.used += 1
                    return rule.action
        return None

    def _forward(self, seen: Seen, raw_path: str) -> Reply:
        if self.upstream is None:
            return Reply(200, {"Content-Type": "application/json"}, b"{}")
        target = urlsplit(self.upstream)
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        try:
            conn.request(seen.method, raw_path, body=seen.body or None, headers=seen.headers)
            answer = conn.getresponse()
            body = answer.read()
            headers = {k: v for k, v in answer.getheaders() if k.lower() not in ("transfer-encoding", "connection")}
            return Reply(answer.status, headers, body)
        finally:
            conn.close()


def _handler(owner: HostileServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            seen = Seen(
                self.command,
                parts.path,
                dict(parse_qsl(parts.query, keep_blank_values=True)),
                {k.lower(): v for k, v in self.headers.items()},
                body,
            )
            action = owner._pick(seen)
            forward = lambda: owner._forward(seen, self.path)  # noqa: E731
            answer = action(seen, forward) if action else forward()
            self._send(answer)

        def _send(self, answer: Reply) -> None:
            self.send_response(answer.status)
            headers = dict(answer.headers)
            whole = isinstance(answer.body, (bytes, bytearray))
            if whole and "Content-Length" not in headers:
                headers["Content-Length"] = str(len(answer.body))  # type: ignore[arg-type]
            if not whole and "Content-Length" not in headers:
                headers["Connection"] = "close"
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            try:
                if whole:
                    self.wfile.write(answer.body)  # type: ignore[arg-type]
                else:
                    for chunk in answer.body:  # type: ignore[union-attr]
                        if answer.pause:
                            time.sleep(answer.pause)
                        self.wfile.write(chunk)
                        self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up: that is what bounded reads are for
            if not whole:
                self.close_connection = True

        do_GET = do_POST = do_DELETE = do_PUT = _serve

    return Handler
