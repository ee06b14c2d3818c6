"""Apps under a real PM2 daemon (its own PM2_HOME): online, restarts since the previous run, started after the
release, stopped, daemon down, memory and its growth across runs."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import datetime as dt

from opsverify.checks.host.pm2 import apps as pm2, memory as pm2_memory
from opsverify.result import Status
from tests.dbstats.helpers import archive, context
from tests.hosts.helpers import host_item
from tests.spec.helpers import at, one
from tests.support.fixtures import require

APP = "opsv-api"
HOG = "opsv-hog"
HOG_JS = "const kept = Buffer.alloc(200 * 1024 * 1024, 1); setInterval(() => kept[0]++, 1000);\n"  # 200MiB resident


class Pm2:
    """A PM2 daemon in its own home, running one tiny node app."""

    def __init__(self, home: Path) -> None:
        self.home = home

    def __call__(self, *args: str) -> str:
        """Run a pm2 command against this home; its standard output."""
        done = subprocess.run(["pm2", *args], env={**os.environ, "PM2_HOME": str(self.home)},
                              capture_output=True, text=True, timeout=60, check=True)
        return done.stdout

    def app(self, name: str = APP) -> dict:
        """An app's entry in `pm2 jlist`."""
        return next(a for a in json.loads(self("jlist").splitlines()[-1]) if a["name"] == name)


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


def check(manager: Pm2, probe=pm2, at=None, **fields: object):  # noqa: ANN001, ANN201 - a check, a context
    """A PM2 check (the online check unless given) on this machine for this PM2 home, in the run `at`."""
    return probe(host_item(pm2={"home": str(manager.home), **fields}), context=at)


FIRST = r"since the server started \d+s ago; a first reading: no earlier archived run of this check to compare with"
ONLINE = "verify/test_hosts.py::test_host_pm2_apps_online[web1]"
MEMORY = "verify/test_hosts.py::test_host_pm2_memory[web1]"


def crash(manager: Pm2, name: str = APP) -> None:
    """Kill the app's process and wait until PM2 has started it again."""
    before = manager.app(name)["pm2_env"]["restart_time"]
    os.kill(manager.app(name)["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 30
    while not (manager.app(name)["pm2_env"]["restart_time"] == before + 1
               and manager.app(name)["pm2_env"]["status"] == "online"):
        assert time.monotonic() < deadline, "PM2 did not restart the app"
        time.sleep(0.3)


@pytest.fixture
def hog(daemon: Pm2, tmp_path: Path) -> Iterator[str]:
    """A second app that keeps 200MiB resident; deleted afterwards."""
    script = tmp_path / "hog.js"
    script.write_text(HOG_JS)
    daemon("start", str(script), "--name", HOG)
    try:
        deadline = time.monotonic() + 30
        while daemon.app(HOG).get("monit", {}).get("memory", 0) < 200 * 1024 * 1024:
            assert time.monotonic() < deadline, "the hog did not grow"
            time.sleep(0.3)
        yield HOG
    finally:
        daemon("delete", HOG)


def test_an_online_app_passes_then_a_crash_counts_as_a_restart_then_a_stop_fails(daemon: Pm2) -> None:
    daemon("reset", APP)
    healthy = check(daemon, apps=[APP], max_restarts=0)
    assert healthy.status is Status.PASSED, healthy.reason
    assert re.fullmatch(rf"{APP} restarted 0 times {FIRST}; limit 0 \| {APP} is online under PM2", healthy.reason), \
        healthy.reason
    crash(daemon)
    crashed = check(daemon, apps=[APP], max_restarts=0)
    assert crashed.status is Status.FAILED
    assert re.fullmatch(rf"{APP} restarted 1 time {FIRST}; limit 0", crashed.reason), crashed.reason
    assert check(daemon, apps=[APP], max_restarts=5, warn_max_restarts=0).status is Status.WARNING
    assert check(daemon, apps=[APP], max_restarts=5).status is Status.WARNING  # a first reading never passes on it
    daemon("stop", APP)
    stopped = check(daemon, apps=[APP])
    assert stopped.status is Status.FAILED
    assert stopped.reason == f"{APP} is stopped"
    daemon("start", APP)


def test_restarts_are_counted_since_the_previous_run_not_over_the_apps_life(daemon: Pm2, tmp_path: Path) -> None:
    crash(daemon)  # an old crash: PM2's counter keeps it until `pm2 reset`
    now = dt.datetime.now(dt.timezone.utc)
    yesterday = context(tmp_path, ONLINE, now - dt.timedelta(days=1))
    archive(yesterday, check(daemon, at=yesterday, apps=[APP], max_restarts=0))
    quiet = check(daemon, at=context(tmp_path, ONLINE, now), apps=[APP], max_restarts=0)
    assert quiet.status is Status.PASSED, quiet.reason
    assert quiet.reason == (f"{APP} restarted 0 times since the run of {yesterday.started:%Y-%m-%d %H:%M}Z, 24h ago; "
                            f"limit 0 | {APP} is online under PM2")
    crash(daemon)  # a crash today, after the previous run
    today = check(daemon, at=context(tmp_path, ONLINE, now), apps=[APP], max_restarts=0)
    assert today.status is Status.FAILED
    assert today.reason == f"{APP} restarted 1 time since the run of {yesterday.started:%Y-%m-%d %H:%M}Z, 24h ago; limit 0"


def test_an_app_not_restarted_after_the_release_fails(daemon: Pm2, tmp_path: Path) -> None:
    marker = tmp_path / "ORIG_HEAD"
    marker.write_text("0123abc\n")  # `git pull` has just moved the branch; PM2 still runs what it started before
    stale = check(daemon, apps=[APP], release=str(marker))
    assert stale.status is Status.FAILED
    assert re.fullmatch(rf"{APP} started \S+ \S+Z, before the release of \S+ \S+Z \({re.escape(str(marker))}\): PM2 "
                        r"still runs the previous code \(pm2 restart or reload it\)", stale.reason), stale.reason
    time.sleep(1.1)  # PM2 and the file system count in different units: let the restart be clearly later
    daemon("restart", APP)
    fresh = check(daemon, apps=[APP], release=str(marker))
    assert fresh.status is Status.PASSED, fresh.reason
    assert re.fullmatch(rf"{APP} is started after the release of .+ \| {APP} is online under PM2", fresh.reason), \
        fresh.reason
    missing = check(daemon, apps=[APP], release=str(tmp_path / "nothing"))
    assert missing.status is Status.ERROR


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


def test_an_app_over_its_memory_limit_fails_and_one_under_passes(daemon: Pm2, hog: str) -> None:
    heavy = check(daemon, pm2_memory, apps=[APP, hog], max_memory="100MB")
    assert heavy.status is Status.FAILED
    assert re.fullmatch(rf"{hog} uses 2\d\d\.\dMiB; limit 100MB", heavy.reason), heavy.reason
    assert set(heavy.evidence["memory"]) == {APP, hog}
    roomy = check(daemon, pm2_memory, apps=[APP, hog], max_memory="1GB")
    assert roomy.status is Status.PASSED
    assert re.fullmatch(rf"{APP} uses [\d.]+MiB; limit 1GB \| {hog} uses 2\d\d\.\dMiB; limit 1GB", roomy.reason), \
        roomy.reason
    warned = check(daemon, pm2_memory, max_memory="1GB", warn_max_memory="150MB")  # every app PM2 runs
    assert warned.status is Status.WARNING
    assert re.fullmatch(rf"{hog} uses 2\d\d\.\dMiB; warning level 150MB", warned.reason), warned.reason


def test_memory_without_a_daemon_or_an_app_to_measure_is_an_error(daemon: Pm2, tmp_path: Path) -> None:
    nobody = pm2_memory(host_item(pm2={"home": str(tmp_path / "pm2-home"), "max_memory": "300MB"}))
    assert (nobody.status, nobody.reason) == (Status.ERROR, f"no PM2 daemon is running for PM2_HOME "
                                                            f"{tmp_path / 'pm2-home'} on web1")
    unknown = check(daemon, pm2_memory, apps=["billing-worker"], max_memory="300MB")
    assert (unknown.status, unknown.reason) == (Status.ERROR, "PM2 on web1 runs no app to measure (billing-worker)")
    assert check(daemon, pm2_memory, apps=[APP]).reason == "no pm2.max_memory or max_memory_growth set"


def test_a_memory_limit_that_is_no_size_is_a_spec_error_at_its_line() -> None:
    at(one("environment: x\nhosts:\n  - name: w\n    pm2:\n      max_memory: lots\n"), 5, "hosts[0].pm2.max_memory",
       "'lots' is not a size (write it like 500KB, 10MB, 1.5GiB)")


LEAK_JS = ("const kept = [];\nsetInterval(() => { if (kept.length < 12) kept.push(Buffer.alloc(10 * 1024 * 1024, 1)); "
           "}, 250);\n")  # grows by 10MiB four times a second up to 120MiB: a leak


def test_memory_that_grows_between_runs_fails_and_a_restart_starts_afresh(daemon: Pm2, tmp_path: Path) -> None:
    script = tmp_path / "leak.js"
    script.write_text(LEAK_JS)
    daemon("start", str(script), "--name", "opsv-leak")
    try:
        now = dt.datetime.now(dt.timezone.utc)
        yesterday = context(tmp_path, MEMORY, now - dt.timedelta(days=1))
        first = check(daemon, pm2_memory, at=yesterday, apps=["opsv-leak"], max_memory_growth="20MB")
        assert first.status is Status.WARNING
        assert first.reason == ("memory growth: a first reading: no earlier archived run of this check to compare "
                                "with; judged from the next run on")
        archive(yesterday, first)
        deadline = time.monotonic() + 30
        while daemon.app("opsv-leak")["monit"]["memory"] < first.evidence["rss"]["opsv-leak"] + 60 * 1024 * 1024:
            assert time.monotonic() < deadline, "the leak did not grow"
            time.sleep(0.3)
        leaking = check(daemon, pm2_memory, at=context(tmp_path, MEMORY, now), apps=["opsv-leak"],
                        max_memory_growth="20MB")
        assert leaking.status is Status.FAILED
        assert re.fullmatch(rf"opsv-leak grew \d+\.\dMiB since the run of {yesterday.started:%Y-%m-%d %H:%M}Z, 24h ago "
                            r"\(\d+\.\dMiB a day\); limit 20MB a day", leaking.reason), leaking.reason
        daemon("restart", "opsv-leak")
        restarted = check(daemon, pm2_memory, at=context(tmp_path, MEMORY, now), apps=["opsv-leak"],
                          max_memory_growth="20MB")
        assert restarted.status is Status.PASSED
        assert restarted.reason == (f"opsv-leak restarted since the run of {yesterday.started:%Y-%m-%d %H:%M}Z, 24h "
                                    "ago: its memory growth is judged from the next run on")
    finally:
        daemon("delete", "opsv-leak")
