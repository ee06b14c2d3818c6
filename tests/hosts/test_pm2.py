"""Apps under a real PM2 daemon (its own PM2_HOME): online, restarted after a crash, stopped, daemon down."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsverify.checks.host.processes import pm2
from opsverify.result import Status
from tests.hosts.helpers import host_item
from tests.support.fixtures import require

APP = "opsv-api"


class Pm2:
    """A PM2 daemon in its own home, running one tiny node app."""

    def __init__(self, home: Path) -> None:
        self.home = home

    def __call__(self, *args: str) -> str:
        """Run a pm2 command against this home; its standard output."""
        done = subprocess.run(["pm2", *args], env={**os.environ, "PM2_HOME": str(self.home)},
                              capture_output=True, text=True, timeout=60, check=True)
        return done.stdout

    def app(self) -> dict:
        """The app's entry in `pm2 jlist`."""
        return next(a for a in json.loads(self("jlist").splitlines()[-1]) if a["name"] == APP)


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pm2]:
    """PM2 with PM2_HOME in a temp folder, running opsv-api; killed afterwards."""
    require(None if shutil.which("pm2") and shutil.which("node") else "pm2 or node not found (npm install -g pm2)")
    folder = tmp_path_factory.mktemp("pm2")
    script = folder / "api.js"
    script.write_text("require('http').createServer((q, s) => s.end('ok')).listen(0);\n")
    manager = Pm2(folder / "home")
    try:
        manager("start", str(script), "--name", APP)
        yield manager
    finally:
        manager("kill")


def check(manager: Pm2, **fields: object):
    """The pm2 check on this machine for this PM2 home."""
    return pm2(host_item(pm2={"home": str(manager.home), **fields}))


def test_an_online_app_passes_then_a_crash_counts_as_a_restart_then_a_stop_fails(daemon: Pm2) -> None:
    healthy = check(daemon, apps=[APP], max_restarts=0)
    assert healthy.status is Status.PASSED, healthy.reason
    assert healthy.reason == f"{APP} restarts is 0; limit 0 | {APP} is online under PM2"
    os.kill(daemon.app()["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 30
    while not (daemon.app()["pm2_env"]["restart_time"] == 1 and daemon.app()["pm2_env"]["status"] == "online"):
        assert time.monotonic() < deadline, "PM2 did not restart the app"
        time.sleep(0.3)
    crashed = check(daemon, apps=[APP], max_restarts=0)
    assert crashed.status is Status.FAILED
    assert crashed.reason == f"{APP} restarts is 1; limit 0"
    assert check(daemon, apps=[APP], max_restarts=5, warn_max_restarts=0).status is Status.WARNING
    daemon("stop", APP)
    stopped = check(daemon, apps=[APP])
    assert stopped.status is Status.FAILED
    assert stopped.reason == f"{APP} is stopped"
    daemon("start", APP)


def test_an_app_pm2_does_not_know_fails(daemon: Pm2) -> None:
    result = check(daemon, apps=["billing-worker"])
    assert result.status is Status.FAILED
    assert result.reason == "PM2 does not know billing-worker"


def test_no_pm2_daemon_fails_and_none_is_started(tmp_path: Path) -> None:
    home = tmp_path / "pm2-home"
    result = pm2(host_item(pm2={"home": str(home), "apps": [APP]}))
    assert result.status is Status.FAILED
    assert result.reason == f"no PM2 daemon is running for PM2_HOME {home} on web1"
    assert not home.exists()
