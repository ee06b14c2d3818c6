"""Pytest fixtures over the support servers; a test package imports the ones it uses in its conftest."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from tests.support.http_server import HttpServer, Reply, Request, Route
from tests.support.mariadb_server import MariaDbServer
from tests.support.net import hanging_server
from tests.support.pg_cluster import PgCluster
from tests.support.redis_server import RedisServer
from tests.support.tls_server import Pki, server_context

HEALTHY = {"status": "ok", "checks": {"db": "up", "cache": "up"}}


def _flaky() -> Callable[[Request], Reply]:
    """A route that answers 200 and 500 in turn."""
    count = itertools.count()
    return lambda request: Reply(500 if next(count) % 2 else 200, "flaky")


def _echo_token(request: Request) -> Reply:
    """200 for the expected bearer token, 401 echoing what was sent otherwise."""
    sent = request.headers.get("Authorization", "")
    return Reply(200, "welcome") if sent == "Bearer s3cret-token-42" else Reply(401, f"bad token {sent}")


def health_routes() -> dict[str, Route]:
    """The paths of a small app: healthy, down, degraded, slow, redirecting, cookie-setting, flaky."""
    return {
        "/health": Reply(200, HEALTHY),
        "/down": Reply(503, {"status": "down"}),
        "/degraded": Reply(200, {"status": "ok", "checks": {"db": "down", "cache": "up"}}),
        "/slow": Reply(200, HEALTHY, delay=0.3),
        "/bit-slow": Reply(200, "ok", delay=0.02),
        "/text": Reply(200, "hello, world"),
        "/moved": Reply(302, headers={"Location": "/health"}),
        "/login": Reply(200, HEALTHY, headers={"Set-Cookie": "session=abc123; HttpOnly"}),
        "/private": _echo_token,
        "/flaky": _flaky(),
    }


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A private CA issuing certificates into a session temp folder."""
    return Pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def web() -> Iterator[HttpServer]:
    """A plain HTTP app on loopback serving health_routes()."""
    with HttpServer(health_routes()) as server:
        yield server


@dataclass(frozen=True)
class TlsSites:
    """HTTPS servers on loopback, one per certificate or protocol situation."""

    valid: HttpServer  # CA-signed for 127.0.0.1 and localhost, 89 days left, TLS 1.2+
    expired: HttpServer  # CA-signed, expired 70 days ago
    wrong_host: HttpServer  # CA-signed for other.example only
    self_signed: HttpServer  # self-signed for 127.0.0.1 and localhost
    expiring: HttpServer  # CA-signed, 8 days left
    old_protocols: HttpServer  # accepts TLSv1.1 and newer (SECLEVEL=0)
    legacy_only: HttpServer  # accepts TLSv1 and TLSv1.1 only
    tls13_only: HttpServer  # accepts TLSv1.3 only


@pytest.fixture(scope="session")
def tls_sites(pki: Pki) -> Iterator[TlsSites]:
    """All TlsSites started for the session."""
    valid = pki.issue("valid")
    servers = TlsSites(
        valid=HttpServer(health_routes(), tls=server_context(valid, minimum="TLSv1.2")),
        expired=HttpServer(tls=server_context(pki.issue("expired", valid_from_days=-100, valid_days=30))),
        wrong_host=HttpServer(tls=server_context(pki.issue("wrong-host", ("other.example",)))),
        self_signed=HttpServer(health_routes(),
                               tls=server_context(pki.issue("self-signed", self_signed=True))),
        expiring=HttpServer(tls=server_context(pki.issue("expiring", valid_from_days=-80, valid_days=89))),
        old_protocols=HttpServer(tls=server_context(valid, minimum="TLSv1.1")),
        legacy_only=HttpServer(tls=server_context(valid, minimum="TLSv1", maximum="TLSv1.1")),
        tls13_only=HttpServer(tls=server_context(valid, minimum="TLSv1.3")),
    )
    started = [server.start() for server in vars(servers).values()]
    yield servers
    for server in started:
        server.stop()


@pytest.fixture
def hanging_port() -> Iterator[int]:
    """A loopback port that accepts connections and never answers."""
    with hanging_server() as port:
        yield port


def require(reason: str | None) -> None:
    """Skip when a throwaway server cannot be made here; fail instead when OPSV_REQUIRE_SERVICES=1."""
    if reason is None:
        return
    if os.environ.get("OPSV_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} and OPSV_REQUIRE_SERVICES=1", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def pg_cluster() -> Iterator[PgCluster]:
    """A throwaway PostgreSQL cluster for the module (a test that stops it starts it again)."""
    require(PgCluster.unavailable())
    with PgCluster() as cluster:
        yield cluster


@pytest.fixture
def mariadb_server() -> Iterator[MariaDbServer]:
    """A throwaway MariaDB server for one test."""
    require(MariaDbServer.unavailable())
    with MariaDbServer() as server:
        yield server


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A throwaway redis-server for one test."""
    require(RedisServer.unavailable())
    with RedisServer() as server:
        yield server
