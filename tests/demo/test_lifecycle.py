"""Starting, stopping and restarting the demo; the foreground serve(); its timing."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from opsverify.demo import BREAKS, Demo, start
from tests.demo import probes


def _bindable(port: int) -> bool:
    """Whether a new listener can take the port (as the demo binds: SO_REUSEADDR)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_start_is_fast_and_stop_frees_the_ports(tmp_path: Path) -> None:
    """A cold start (new CA) and a warm start are quick; after stop() both ports are free."""
    timings = []
    for _ in range(3):
        began = time.perf_counter()
        demo = start(tmp_path)
        timings.append(time.perf_counter() - began)
        assert requests.get(f"{demo.http_url}/api/health", timeout=5).ok
        demo.stop()
        assert _bindable(demo.http_port) and _bindable(demo.https_port)
        with pytest.raises(requests.ConnectionError):
            requests.get(f"{demo.http_url}/api/health", timeout=2)
    print(f"demo start (state generation + servers): cold {timings[0] * 1000:.0f} ms, "
          f"warm {timings[1] * 1000:.0f} / {timings[2] * 1000:.0f} ms")
    assert min(timings[1:]) < 0.3


def test_chosen_ports_and_a_taken_port(tmp_path: Path) -> None:
    """Explicit ports are used; a taken one raises OSError and leaves the other port free."""
    http_port, https_port = _free_port(), _free_port()
    with start(tmp_path, http_port=http_port, https_port=https_port) as demo:
        assert demo.http_url == f"http://127.0.0.1:{http_port}"
        assert demo.https_url == f"https://127.0.0.1:{https_port}"
        with pytest.raises(OSError):
            start(tmp_path / "other", http_port=http_port, https_port=0)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError):
            start(tmp_path, http_port=taken.getsockname()[1], https_port=https_port)
    assert _bindable(https_port)


def test_unknown_break_lists_the_valid_ones(tmp_path: Path) -> None:
    """A misspelt break is a ValueError that names every valid break, before anything starts."""
    with pytest.raises(ValueError) as error:
        start(tmp_path, ["slow", "health503"])
    assert "'health503'" in str(error.value) and all(name in str(error.value) for name in BREAKS)
    assert not (tmp_path / "app.db").exists()


def test_breaks_are_described_in_one_line() -> None:
    """Every break has a one-line description for `--break list`."""
    assert len(BREAKS) >= 12  # every check family adds its own
    assert all(text and "\n" not in text and len(text) < 100 for text in BREAKS.values())


def test_stop_cuts_open_connections_and_threads(tmp_path: Path) -> None:
    """stop() is idempotent, closes kept-alive connections and leaves no serving thread behind."""
    demo = start(tmp_path)
    with requests.Session() as session:
        session.get(f"{demo.http_url}/api/health", timeout=5).raise_for_status()
        demo.stop()
        demo.stop()
        with pytest.raises(requests.ConnectionError):
            session.get(f"{demo.http_url}/api/health", timeout=2)
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and [t for t in threading.enumerate() if _serves(t, demo)]:
        time.sleep(0.01)
    assert not [t for t in threading.enumerate() if _serves(t, demo)]


def _serves(thread: threading.Thread, demo: Demo) -> bool:
    """Whether a thread belongs to the demo's servers (listener or connection handler)."""
    return thread.name.startswith((f"opsverify-demo-{demo.http_port}", f"opsverify-demo-{demo.https_port}"))


def test_restart_without_breaks_heals(start_demo: Callable[..., Demo]) -> None:
    """Everything the file-level breaks damaged is clean again after a restart without breaks."""
    damaged = start_demo("missing-table", "stale-backup", "truncated-backup", "checksum-mismatch",
                         "retention-gap", "error-spike", "degraded")
    assert probes.symptoms(damaged) == {"missing-table", "stale-backup", "truncated-backup",
                                        "checksum-mismatch", "retention-gap", "error-spike", "degraded"}
    damaged.stop()
    assert probes.symptoms(start_demo()) == set()


def test_serve_runs_in_the_foreground_until_ctrl_c(tmp_path: Path) -> None:
    """serve() prints the URLs, the environment file and the pytest command; a taken port is replaced."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code = (f"from opsverify.demo import serve; "
                f"serve({str(tmp_path)!r}, ['stale-backup'], http_port={port}, https_port=0)")
        process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            lines = []
            while not lines or not lines[-1].startswith("Press Ctrl-C"):
                lines.append(process.stdout.readline().rstrip("\n"))
                assert lines[-1] or process.poll() is None, lines
            banner = "\n".join(lines)
            assert f"Port {port} is taken" in banner
            assert f"pytest -m daily --env={tmp_path / 'demo.yml'}" in banner
            assert "broken on purpose: stale-backup" in banner
            url = next(word for line in lines for word in line.split() if word.startswith("http://"))
            assert requests.get(f"{url}api/health", timeout=5).ok
        finally:
            process.send_signal(signal.SIGINT)
            output, _ = process.communicate(timeout=5)
    assert process.returncode == 0
    assert "Stopping the demo." in output and "GET /api/health" in output
