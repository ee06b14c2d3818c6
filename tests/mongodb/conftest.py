"""Fixtures for the MongoDB tests: real loopback servers that are not MongoDB (no MongoDB server runs here)."""

from tests.support.fixtures import hanging_port, pki, tls_sites, web  # noqa: F401 - fixtures
