"""TLS protocol versions for base URLs that no `tls:` item covers (minimum TLSv1.2), on real TLS servers."""

from __future__ import annotations

import pytest

from opsverify.checks.security import tls_items
from opsverify.checks.tls import WARNING_FILTER, protocols
from opsverify.result import Status
from opsverify.spec.models.environment import Environment
from tests.support.fixtures import TlsSites

pytestmark = pytest.mark.filterwarnings(WARNING_FILTER)


def env(*urls: str, tls: list[dict] | None = None) -> Environment:
    """An environment with these base URLs and tls items."""
    return Environment.model_validate({"environment": "x", "tls": tls or [],
                                       "security": {"base_urls": list(urls), "timeout": "2s"}})


def test_each_https_base_url_gets_a_protocol_check_unless_a_tls_item_covers_it() -> None:
    items = tls_items(env("https://shop.example.com/eu", "https://shop.example.com/us", "http://plain.example.com",
                          "https://api.example.com:8443", "https://covered.example.com",
                          tls=[{"name": "c", "host": "covered.example.com", "min_version": "TLSv1.3"}]))
    assert [(i.name, i.host, i.port, i.min_version) for i in items] == [
        ("shop.example.com", "shop.example.com", 443, "TLSv1.2"),
        ("api.example.com:8443", "api.example.com", 8443, "TLSv1.2")]


def test_a_site_accepting_tls_1_1_fails(tls_sites: TlsSites) -> None:
    (item,) = tls_items(env(tls_sites.old_protocols.base_url))
    result = protocols(item)
    assert result.status is Status.FAILED and result.reason.startswith("server accepts TLSv1.1; minimum TLSv1.2")


def test_a_site_refusing_old_versions_passes(tls_sites: TlsSites) -> None:
    (item,) = tls_items(env(tls_sites.valid.base_url))
    result = protocols(item)
    assert result.status is Status.PASSED and "minimum TLSv1.2" in result.reason
