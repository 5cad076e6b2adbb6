"""Minimal request/response/router types the service modules are written against."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl


@dataclass
class Request:
    """One HTTP request as the emulator sees it (header names lower-cased)."""

    method: str
    path: str
    raw_query: str
    headers: dict[str, str]
    body: bytes
    params: dict[str, str] = field(default_factory=dict)  # path parameters from the route pattern

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(self.raw_query, keep_blank_values=True))

    @property
    def query_pairs(self) -> list[tuple[str, str]]:
        return parse_qsl(self.raw_query, keep_blank_values=True)

    def json(self) -> Any:
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def header(self, name: str, default: str | None = None) -> str | None:
        return self.headers.get(name.lower(), default)


@dataclass
class Response:
    """An answer; ``body`` is JSON-encoded unless it is bytes or ``None`` (empty body)."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, separators=(",", ":")).encode()


Handler = Callable[[Request], Response]


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    name: str  # stats key, e.g. "mrs.batch_delete"
    service: str  # fault-injection scope and error shape, e.g. "mrs"
    faultable: bool = True


class Router:
    """Routes by method and path regex; service modules call :meth:`add`."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def add(self, method: str, pattern: str, handler: Handler, *, name: str, service: str, faultable: bool = True):
        self.routes.append(Route(method.upper(), re.compile(pattern + r"\Z"), handler, name, service, faultable))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            if route.method == method and (found := route.pattern.match(path)):
                return route, found.groupdict()
        return None
