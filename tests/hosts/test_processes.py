"""Services and processes on a real host without systemd: a real process started, found, then stopped."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsverify.checks.host.processes import processes, services
from opsverify.result import Status
from tests.hosts.helpers import host_item
from tests.support.sshd import SshServer

WORKER = "opsvworker"
without_systemd = pytest.mark.skipif(Path("/run/systemd/system").exists(),
                                     reason="systemd runs here: services are checked with systemctl, not by process")


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A running process whose command name is opsvworker (a copy of sleep)."""
    program = tmp_path / WORKER
    shutil.copy("/bin/sleep", program)
    process = subprocess.Popen([str(program), "300"])
    yield process
    process.kill()
    process.wait()


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process and reap it, so it is gone from the process table."""
    process.terminate()
    process.wait(timeout=10)


@without_systemd
def test_a_service_is_found_by_its_process_without_systemd_then_missed_once_stopped(worker) -> None:
    host = host_item(services=[WORKER])
    running = services(host)
    assert running.status is Status.PASSED, running.reason
    assert running.reason == f"{WORKER} is running (no systemd on this host: checked for a process of each " \
                             "service's name)"
    assert running.evidence == {"method": "process", "pids": {WORKER: worker.pid}}
    stop(worker)
    stopped = services(host)
    assert stopped.status is Status.FAILED
    assert stopped.reason == f"{WORKER} not running (no systemd on this host: checked for a process of each " \
                             "service's name)"


@without_systemd
def test_a_service_is_matched_by_its_program_or_folder_name() -> None:
    names = [name for name, comm in (("redis", "redis-server"), ("postgresql", "postgres")) if _running(comm)]
    if not names:
        pytest.skip("neither redis-server nor postgres runs on this machine")
    result = services(host_item(services=names))
    assert result.status is Status.PASSED, result.reason
    assert set(result.evidence["pids"]) == set(names)


def _running(comm: str) -> bool:
    """Whether a process with this command name runs here."""
    return subprocess.run(["pgrep", "-x", comm], capture_output=True).returncode == 0


def test_a_stopped_process_fails_naming_it(worker) -> None:
    host = host_item(processes=[WORKER, "opsvnothere"])
    result = processes(host)
    assert result.status is Status.FAILED
    assert result.reason == "no process named opsvnothere is running on web1"
    assert result.evidence["counts"] == {WORKER: 1, "opsvnothere": 0}
    assert processes(host_item(processes=[WORKER])).reason == f"{WORKER} is running ({WORKER}: 1)"
    stop(worker)
    assert processes(host_item(processes=[WORKER])).reason == f"no process named {WORKER} is running on web1"


def test_processes_are_read_over_ssh_too(worker, sshd: SshServer) -> None:
    assert processes(host_item(sshd.target, processes=[WORKER])).status is Status.PASSED
    stop(worker)
    assert processes(host_item(sshd.target, processes=[WORKER])).status is Status.FAILED
