"""Queue workers as real processes on the local host: started under a worker's command line, counted, stopped."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from opsverify.checks.apps.workers import running
from opsverify.result import Status
from tests.apps.helpers import check_app
from tests.support.net import free_port

Start = Callable[[str], subprocess.Popen[bytes]]


@pytest.fixture
def start() -> Iterator[Start]:
    """Start processes whose command line is the one given (a sleep under another name); all killed after."""
    started: list[subprocess.Popen[bytes]] = []

    def launch(command: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(["bash", "-c", f'exec -a "{command}" sleep 300'])
        started.append(process)
        return process

    yield launch
    for process in started:
        process.kill()
        process.wait()


def workers(framework: str = "laravel", **keys: object) -> object:
    """The workers check of a local app."""
    listed = ", ".join(f"{k}: {v}" for k, v in keys.items())
    return check_app(running, f"apps: [{{name: shop, framework: {framework}, workers: {{{listed}}}}}]")


def wait_listed(process: subprocess.Popen[bytes], marker: str) -> None:
    """Wait until the process runs under its new name (bash has exec'd it)."""
    for _ in range(100):
        if marker in open(f"/proc/{process.pid}/cmdline", "rb").read().decode(errors="replace"):
            return
        time.sleep(0.02)
    raise AssertionError(f"process {process.pid} never showed {marker}")


def test_fewer_workers_than_min_fails_then_enough_pass(start: Start) -> None:
    queue = f"opsv{uuid.uuid4().hex[:8]}"
    match = f"'artisan queue:work .*--queue={queue}'"
    first = start(f"php artisan queue:work redis --queue={queue} --sleep=3")
    wait_listed(first, queue)
    short = workers(match=match, min=2)
    assert short.status is Status.FAILED
    assert short.reason == f"1 of 2 queue workers running on local (artisan queue:work .*--queue={queue})"
    assert list(short.evidence["workers"]) == [first.pid]
    wait_listed(start(f"php artisan queue:work redis --queue={queue} --sleep=3"), queue)
    enough = workers(match=match, min=2)
    assert enough.status is Status.PASSED, enough.reason
    assert enough.reason == (f"2 queue workers running on local; at least 2 needed "
                             f"(artisan queue:work .*--queue={queue})")


def test_a_stopped_worker_is_missed(start: Start) -> None:
    queue = f"opsv{uuid.uuid4().hex[:8]}"
    worker = start(f"php artisan queue:work --queue={queue}")
    wait_listed(worker, queue)
    assert workers(match=f"'--queue={queue}'").status is Status.PASSED
    worker.kill()
    worker.wait()
    stopped = workers(match=f"'--queue={queue}'")
    assert (stopped.status, stopped.reason) == (Status.FAILED,
                                                f"0 of 1 queue workers running on local (--queue={queue})")


@pytest.mark.parametrize(("framework", "command"), [
    ("laravel", "php /var/www/shop/artisan horizon"),
    ("laravel", "php artisan queue:work --sleep=3 --tries=3"),
    ("frappe", "/home/frappe/frappe-bench/env/bin/python -m frappe.utils.bench_helper frappe --site all worker "
               "--queue short,default"),
])
def test_the_frameworks_default_pattern_finds_its_workers(start: Start, framework: str, command: str) -> None:
    worker = start(command)
    wait_listed(worker, command.split()[-1])
    result = workers(framework, min=1)
    assert result.status is Status.PASSED, result.reason
    assert worker.pid in result.evidence["workers"]


def deploy(root: Path, release: str) -> None:
    """A release folder, and the `current` symlink switched to it at once (as Deployer and Envoyer do)."""
    (root / "releases" / release).mkdir(parents=True)
    (root / "current.new").symlink_to(root / "releases" / release)
    (root / "current.new").replace(root / "current")


def test_a_worker_started_before_the_release_fails_with_its_pid_and_both_times(start: Start, tmp_path: Path) -> None:
    queue = f"opsv{uuid.uuid4().hex[:8]}"
    deploy(tmp_path, "1")
    old = start(f"php artisan queue:work --queue={queue}")
    wait_listed(old, queue)
    keys = {"match": f"'--queue={queue}'", "release": str(tmp_path / "current")}
    assert workers(**keys).status is Status.PASSED
    time.sleep(0.3)  # the next release comes after the worker started (start times are read to 10ms)
    deploy(tmp_path, "2")
    stale = workers(**keys)
    released = dt.datetime.fromtimestamp(int(os.lstat(tmp_path / "current").st_mtime), dt.timezone.utc)
    assert stale.status is Status.FAILED
    assert re.fullmatch(rf"1 queue worker on local started before the release of {released:%Y-%m-%d %H:%M:%S}Z "
                        rf"\({re.escape(str(tmp_path / 'current'))}\), so still running the previous code: pid "
                        rf"{old.pid} started \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\dZ: restart them "
                        r"\(php artisan queue:restart\)", stale.reason), stale.reason
    assert stale.value == 1 and old.pid in stale.evidence["started"]
    old.kill()
    old.wait()
    wait_listed(start(f"php artisan queue:work --queue={queue}"), queue)  # the restart after the deploy
    restarted = workers(**keys)
    assert restarted.status is Status.PASSED, restarted.reason
    assert restarted.reason.endswith(f"1 queue worker started after the release of {released:%Y-%m-%d %H:%M:%S}Z "
                                     f"({tmp_path / 'current'})")


def test_a_release_marker_that_is_missing_is_an_error(start: Start, tmp_path: Path) -> None:
    queue = f"opsv{uuid.uuid4().hex[:8]}"
    wait_listed(start(f"php artisan queue:work --queue={queue}"), queue)
    result = workers(match=f"'--queue={queue}'", release=str(tmp_path / "current"))
    assert result.status is Status.ERROR
    assert "No such file or directory" in result.reason and str(tmp_path / "current") in result.reason


def test_an_unreachable_host_is_an_error() -> None:
    port = free_port()
    result = check_app(running, f"hosts: [{{name: web1, target: 'ssh://root@127.0.0.1:{port}?timeout=2'}}]\n"
                                "apps: [{name: shop, framework: laravel, host: web1, workers: {min: 2}}]")
    assert (result.status, result.reason) == (Status.ERROR, f"connection refused on 127.0.0.1:{port}")
