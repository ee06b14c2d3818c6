"""Queue workers as real processes on the local host: started under a worker's command line, counted, stopped."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Callable, Iterator

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


def test_an_unreachable_host_is_an_error() -> None:
    port = free_port()
    result = check_app(running, f"hosts: [{{name: web1, target: 'ssh://root@127.0.0.1:{port}?timeout=2'}}]\n"
                                "apps: [{name: shop, framework: laravel, host: web1, workers: {min: 2}}]")
    assert (result.status, result.reason) == (Status.ERROR, f"connection refused on 127.0.0.1:{port}")
