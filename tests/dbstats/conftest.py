"""Throwaway PostgreSQL and MariaDB servers set up for faults: few connections, no autovacuum."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.dbstats.helpers import pg_admin
from tests.support.fixtures import redis_server, require  # noqa: F401 - fixture
from tests.support.mariadb_server import MariaDbServer
from tests.support.pg_cluster import PgCluster

MAX_CONNECTIONS = 12


@pytest.fixture(scope="module")
def pg() -> Iterator[PgCluster]:
    """A cluster with max_connections 12 and autovacuum off (so dead tuples stay and nothing analyzes)."""
    require(PgCluster.unavailable())
    with PgCluster() as cluster:
        with pg_admin(cluster.port) as admin:
            admin.execute(f"ALTER SYSTEM SET max_connections = {MAX_CONNECTIONS}")
            admin.execute("ALTER SYSTEM SET autovacuum = off")
        cluster.stop()
        cluster.start()
        yield cluster


@pytest.fixture(scope="module")
def maria() -> Iterator[MariaDbServer]:
    """A throwaway MariaDB server for the module."""
    require(MariaDbServer.unavailable())
    with MariaDbServer() as server:
        yield server


@pytest.fixture
def dbname(pg: PgCluster) -> Iterator[str]:
    """A fresh database in the cluster, dropped afterwards."""
    name = f"opsv_{uuid.uuid4().hex[:10]}"
    with pg_admin(pg.port) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    yield name
    with pg_admin(pg.port) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
