"""Fixtures for the security checks: real HTTP(S) servers on loopback, and items built like the loader's."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from opsverify.checks.security import Site
from opsverify.spec.models.security import Security
from tests.support.fixtures import pki, tls_sites  # noqa: F401 - fixtures
from tests.support.http_server import HttpServer, Reply, Route
from tests.support.tls_server import Pki, server_context

GOOD_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Server": "nginx",
}
PAGE = "<!doctype html><html><head><title>Shop</title></head><body><h1>Shop</h1></body></html>"
StartSite = Callable[..., HttpServer]


def security(**fields: Any) -> Security:
    """A `security:` section as the loader would make it (timeout 2s unless given)."""
    return Security.model_validate({"timeout": "2s", **fields})


def site(server: HttpServer | str, subject: str = "", *, ca_file: Any = None, joiner: str = "-",
         **fields: Any) -> Site:
    """An item for a server's base URL (or a URL) and one header, cookie or path."""
    url = server if isinstance(server, str) else server.base_url
    return Site(security(ca_file=str(ca_file) if ca_file else None, **fields), url, subject, joiner)


def page(headers: Mapping[str, str] | None = None, *, drop: tuple[str, ...] = (), body: str = PAGE,
         status: int = 200) -> Reply:
    """An HTML page with the good headers, `headers` added or replaced, `drop` removed."""
    merged = {k: v for k, v in {**GOOD_HEADERS, **(headers or {})}.items() if k not in drop}
    return Reply(status, body, headers=merged)


@pytest.fixture
def start_site(pki: Pki) -> Iterator[StartSite]:  # noqa: F811 - the fixture imported above
    """Start HTTPS (default) or plain HTTP servers with routes and a fallback; all stopped afterwards."""
    started: list[HttpServer] = []
    pair = pki.issue("security-site")

    def start(routes: Mapping[str, Route] | None = None, *, fallback: Route | None = None,
              tls: bool = True) -> HttpServer:
        """A running server."""
        server = HttpServer(routes, fallback=fallback, tls=server_context(pair) if tls else None)
        started.append(server.start())
        return server

    yield start
    for server in started:
        server.stop()
