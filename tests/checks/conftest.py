"""Fixtures for the check tests: real servers from tests.support."""

from tests.support.fixtures import (  # noqa: F401 - fixtures
    hanging_port, mariadb_server, pg_cluster, pki, redis_server, tls_sites, web)
