"""Real Locust runs against real loopback servers whose latency, errors and capacity the test controls."""

from __future__ import annotations

import datetime as dt
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from opsverify.archive import new_run_folder
from opsverify.context import RunContext
from opsverify.load.check import LoadRun, load_profile
from opsverify.result import Result
from opsverify.spec import Environment, loads
from tests.support.http_server import HttpServer, Reply, Request

JOURNEYS = """\
- {name: browse, weight: 3, steps: [{get: /}, {get: "/items/{id}", ids: [1, 2, 3]}]}
- {name: quote, weight: 1, steps: [{post: /quote, json: {product: 1, qty: 2}}]}"""
NOW = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


def environment(host: str, profiles: str, *, sla: str = "{p95: 500ms, max_error_rate: 1%}",
                journeys: str = JOURNEYS, extra: str = "think_time: 20ms", top: str = "") -> Environment:
    """An environment whose loadtests section targets `host` with the given profiles and SLA."""
    lines = ["environment: loadtest", top, "loadtests:", f"  host: {host}", "  journeys:",
             textwrap.indent(journeys, "    "), f"  profiles: {profiles}", f"  sla: {sla}", f"  {extra}"]
    return loads("\n".join(lines) + "\n", "loadtest.yml")


def context(env: Environment, reports: Path, profile: str, started: dt.datetime = NOW) -> RunContext:
    """A run context with its own run folder in `reports`, for test_load_profile[profile]."""
    run_dir = new_run_folder(reports, env.environment, "quarterly", started)
    return RunContext(env, reports, run_dir, started, f"verify/test_performance.py::test_load_profile[{profile}]")


def run(env: Environment, profile: str, reports: Path, started: dt.datetime = NOW) -> tuple[Result, RunContext]:
    """Run one profile through the check, as the plugin would; the result and its context."""
    ctx = context(env, reports, profile, started)
    return load_profile(LoadRun(profile, env.loadtests), context=ctx), ctx


def slots(count: int, service: float) -> Callable[[Request], Reply]:
    """A route with a known capacity: `count` requests served at once, each taking `service` seconds."""
    gate = threading.BoundedSemaphore(count)

    def route(request: Request) -> Reply:
        """Wait for a slot, work, answer."""
        with gate:
            time.sleep(service)
        return Reply(200, "ok")

    return route


@pytest.fixture
def serve() -> Iterator[Callable[..., HttpServer]]:
    """Start loopback HTTP servers (every path answered by `fallback`); all stopped at the end."""
    started: list[HttpServer] = []

    def start(fallback: Callable[[Request], Reply] | Reply | None = None,
              routes: dict[str, Callable[[Request], Reply] | Reply] | None = None) -> HttpServer:
        """A started server: `routes` by path, everything else answered by `fallback` (200 ok)."""
        server = HttpServer(routes, fallback=fallback or Reply(200, "ok")).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    """A fresh archive folder."""
    return tmp_path / "reports"
