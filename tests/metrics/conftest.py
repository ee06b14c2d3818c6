"""A real Prometheus for the PromQL metrics."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.metrics.prometheus import PrometheusServer
from tests.support.fixtures import require


@pytest.fixture(scope="session")
def prometheus() -> Iterator[PrometheusServer]:
    """Prometheus on loopback scraping itself."""
    require(PrometheusServer.unavailable())
    with PrometheusServer() as server:
        yield server
