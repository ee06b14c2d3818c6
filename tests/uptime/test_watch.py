"""`opsverify watch` as a real subprocess against real loopback servers, then test_endpoint_uptime on its files."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from opsverify.checks.uptime import availability, folder
from opsverify.result import Status
from opsverify.spec import SpecError, load
from tests.plugin.conftest import ROOT
from tests.support.http_server import HttpServer, Reply
from tests.support.net import free_port, hanging_server
from tests.uptime.helpers import context

SECRET = "s3cr3t-watch-pw"
UPTIME = "{min: 99.9%, over: 10s, every: 200ms, min_coverage: 25%}"


@pytest.fixture
def site() -> HttpServer:
    """A healthy health route on loopback."""
    with HttpServer({"/health": Reply(200, {"status": "ok"})}) as server:
        yield server


def env_file(tmp_path: Path, endpoints: str, extra: str = "") -> Path:
    """An environment file `watched` with these endpoint lines."""
    path = tmp_path / "env.yml"
    path.write_text(f"environment: watched\nendpoints:\n{endpoints}{extra}")
    return path


def endpoint(name: str, url: str, uptime: str = UPTIME, timeout: str = "1s") -> str:
    """One endpoint item with uptime, as YAML lines."""
    return f"  - {{name: {name}, url: '{url}', timeout: {timeout}, uptime: {uptime}}}\n"


def watch(env: Path, reports: Path, *args: str, **kw: object) -> subprocess.Popen[str]:
    """`opsverify watch` started in the background."""
    return subprocess.Popen([sys.executable, "-m", "opsverify.cli", *args, f"--env={env}", f"--reports={reports}"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "UPTIME_PASSWORD": SECRET}, **kw)


def samples(reports: Path) -> list[dict]:
    """Every sample the watcher wrote, in file order."""
    return [json.loads(line) for path in sorted(folder(reports, "watched").glob("*.jsonl"))
            for line in path.read_text().splitlines()]


def wait_for(condition: Callable[[], bool], seconds: float = 15) -> None:
    """Poll until condition holds."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def test_an_outage_while_watching_is_judged_below_100_percent_and_sigterm_exits_0(tmp_path, site):
    url = f"http://watch:${{UPTIME_PASSWORD}}@127.0.0.1:{site.port}/health"
    env = env_file(tmp_path, endpoint("api-health", url))
    reports = tmp_path / "reports"
    watcher = watch(env, reports, "watch")
    try:
        wait_for(lambda: len(samples(reports)) >= 5)
        site.listen_on = site.port
        site.stop()
        time.sleep(1.0)
        site.start()
        before = len(samples(reports))
        wait_for(lambda: len(samples(reports)) >= before + 5)
    finally:
        watcher.send_signal(signal.SIGTERM)
        out, err = watcher.communicate(timeout=15)
    assert watcher.returncode == 0, err
    assert "api-health every 200ms" in out and out.rstrip().endswith("opsverify watch: stopped")
    written = samples(reports)
    down = [s for s in written if not s["up"]]
    assert 3 <= len(down) <= 8 and all(s["reason"] == f"connection refused on 127.0.0.1:{site.port}" for s in down)
    assert {s["reason"] for s in written if s["up"]} == {"HTTP 200"}
    assert written[-1]["up"] and set(written[0]) == {"t", "endpoint", "up", "ms", "reason"}
    assert not any(SECRET in path.read_text() for path in folder(reports, "watched").iterdir())
    item = load(env, {"UPTIME_PASSWORD": SECRET})
    result = availability(item.endpoints[0], context=context(item, reports, dt.datetime.now(dt.timezone.utc)))
    assert result.status is Status.FAILED, result.reason
    assert result.evidence["down_intervals"] == 1
    assert re.fullmatch(rf"api-health up \d+(\.\d+)?% of the last 10s \(\d+ of \d+ samples\); down "
                        rf"\d\d:\d\d:\d\d(-\d\d:\d\d:\d\d)? UTC \([\d.]+s, connection refused on "
                        rf"127\.0\.0\.1:{site.port}\); limit 99\.9%", result.reason), result.reason


def test_once_writes_one_line_per_endpoint_and_an_unreachable_one_is_down_with_its_cause(tmp_path, site):
    refused = free_port()
    with hanging_server() as hanging:
        env = env_file(tmp_path, endpoint("up", site.url("/health"))
                       + endpoint("refused", f"http://127.0.0.1:{refused}/")
                       + endpoint("hanging", f"http://127.0.0.1:{hanging}/", timeout="500ms")
                       + "  - {name: unwatched, url: 'http://127.0.0.1:9/'}\n")
        started = time.monotonic()
        done = watch(env, tmp_path / "reports", "watch", "--once")
        out, err = done.communicate(timeout=30)
    assert done.returncode == 0, err
    assert time.monotonic() - started < 10  # in parallel, each within its timeout
    by_name = {s["endpoint"]: s for s in samples(tmp_path / "reports")}
    assert len(samples(tmp_path / "reports")) == 3 and set(by_name) == {"up", "refused", "hanging"}
    assert by_name["up"]["up"] is True and by_name["up"]["reason"] == "HTTP 200"
    assert by_name["refused"]["up"] is False
    assert by_name["refused"]["reason"] == f"connection refused on 127.0.0.1:{refused}"
    assert by_name["hanging"] == {**by_name["hanging"], "up": False, "reason": "no answer within 500ms"}
    assert by_name["hanging"]["ms"] >= 500


def test_a_link_planted_as_the_uptime_folder_is_refused_and_nothing_is_written_through_it(tmp_path, site):
    reports, outside = tmp_path / "reports", tmp_path / "outside"
    (reports / "watched").mkdir(parents=True)
    outside.mkdir()
    (reports / "watched" / "uptime").symlink_to(outside)
    done = watch(env_file(tmp_path, endpoint("up", site.url("/health"))), reports, "watch", "--once")
    _, err = done.communicate(timeout=30)
    assert done.returncode == 2
    assert err.strip() == (f"opsverify watch: {reports / 'watched' / 'uptime'} is a symlink to {outside}; the "
                           "archive never follows a link it did not create: remove it")
    assert not list(outside.iterdir())


def test_a_file_without_uptime_is_refused_with_exit_2(tmp_path):
    env = env_file(tmp_path, "  - {name: site, url: 'http://127.0.0.1:9/'}\n")
    done = watch(env, tmp_path / "reports", "watch", "--once")
    _, err = done.communicate(timeout=30)
    assert done.returncode == 2
    assert err.strip() == f"opsverify watch: {env} has no endpoint with `uptime:`; nothing to watch"


def test_the_scheduler_runs_the_watcher_beside_its_calendar(tmp_path, site):
    later = (dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=12)).strftime("%H:%M")  # nothing falls due
    env = env_file(tmp_path, endpoint("api-health", site.url("/health")),
                   f'schedule: {{timezone: UTC, daily: "{later}"}}\n')
    scheduler = watch(env, tmp_path / "reports", "schedule")
    try:
        wait_for(lambda: len(samples(tmp_path / "reports")) >= 3)
    finally:
        scheduler.send_signal(signal.SIGINT)
        _, err = scheduler.communicate(timeout=15)
    assert scheduler.returncode == 0, err
    assert all(s["up"] and s["endpoint"] == "api-health" for s in samples(tmp_path / "reports"))


@pytest.mark.parametrize("uptime, message", [
    ("{over: 24h}", "give min and/or warn_min"),
    ("{min: 99%, every: 50ms}", "every (50ms) is shorter than 100ms"),
    ("{min: 99%, over: 1m, every: 1m}", "over (1m) holds fewer than two samples taken every 1m"),
    ("{min: 99%, evry: 1m}", "did you mean 'every'?"),
])
def test_bad_uptime_keys_are_named(tmp_path, uptime, message):
    with pytest.raises(SpecError, match=re.escape(message)):
        load(env_file(tmp_path, endpoint("api-health", "https://app.example.com/", uptime)))
