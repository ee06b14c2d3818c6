"""Fixtures: one healthy demo for the session, and demos started with breaks on demand."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from opsverify.demo import Demo, start


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """A healthy demo shared by the read-only tests."""
    with start(tmp_path_factory.mktemp("demo")) as running:
        yield running


@pytest.fixture
def fetch(demo: Demo) -> Callable[..., requests.Response]:
    """GET or other methods on the healthy demo's HTTPS URL, trusting its CA.

    verify= goes on every call: requests lets REQUESTS_CA_BUNDLE override Session.verify.
    """
    def call(path: str, method: str = "GET", **kwargs: object) -> requests.Response:
        """One request to path, without following redirects."""
        return requests.request(method, demo.https_url + path, verify=str(demo.ca_file), timeout=5,
                                allow_redirects=False, **kwargs)  # type: ignore[arg-type]
    return call


@pytest.fixture(scope="session")
def broken_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One state folder reused by every broken demo (each start rebuilds it)."""
    return tmp_path_factory.mktemp("broken")


@pytest.fixture
def start_demo(broken_dir: Path) -> Iterator[Callable[..., Demo]]:
    """Start demos in the shared folder with the given breaks; all are stopped afterwards."""
    started: list[Demo] = []

    def run(*breaks: str) -> Demo:
        """A demo started with these breaks."""
        started.append(start(broken_dir, breaks))
        return started[-1]

    yield run
    for running in started:
        running.stop()
