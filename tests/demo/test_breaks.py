"""Each break changes exactly the one thing it names, seen from outside with real requests and files."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from opsverify.demo import BREAKS, Demo
from tests.demo import probes

StartDemo = Callable[..., Demo]
QUICK = sorted(set(BREAKS) - {"slow", "hang"})  # these two cost seconds; they have their own tests


def test_the_healthy_demo_shows_no_symptom(demo: Demo) -> None:
    """The probes that detect every break find nothing wrong with a healthy demo."""
    assert probes.symptoms(demo) == set()


@pytest.mark.parametrize("name", QUICK)
def test_each_break_shows_exactly_its_own_symptom(start_demo: StartDemo, name: str) -> None:
    """Started with one break, the demo shows that break's symptom and no other."""
    assert probes.symptoms(start_demo(name)) == {name}


def test_health_503(start_demo: StartDemo) -> None:
    """/api/health answers 503 on both ports; pages still work."""
    demo = start_demo("health-503")
    assert requests.get(f"{demo.http_url}/api/health", timeout=5).status_code == 503
    ca = str(demo.ca_file)
    assert requests.get(f"{demo.https_url}/api/health?detailed=true", verify=ca, timeout=5).status_code == 503
    assert requests.get(f"{demo.https_url}/products", verify=ca, timeout=5).status_code == 200


def test_degraded(start_demo: StartDemo) -> None:
    """/api/health still answers 200, but its JSON says the database is down."""
    demo = start_demo("degraded")
    response = requests.get(f"{demo.https_url}/api/health?detailed=true", verify=str(demo.ca_file), timeout=5)
    assert response.status_code == 200
    assert response.json()["db"] == "down" and response.json()["checks"]["db"] == "down"
    assert '"status":"ok"' not in response.text


def test_slow(start_demo: StartDemo) -> None:
    """Pages and /api/health take 1.5 s longer; the symptom is `slow` alone."""
    demo = start_demo("slow")

    def timed_page() -> tuple[int, float]:
        """The status of /products and how long it took."""
        started = time.perf_counter()
        page = requests.get(f"{demo.https_url}/products", verify=str(demo.ca_file), timeout=5)
        return page.status_code, time.perf_counter() - started

    with ThreadPoolExecutor(1) as pool:  # the page and the probes wait in parallel
        page = pool.submit(timed_page)
        assert probes.symptoms(demo) == {"slow"}
        status, elapsed = page.result()
    assert status == 200 and 1.4 < elapsed < 3


def test_hang_answers_nothing_until_stop(start_demo: StartDemo) -> None:
    """/api/health accepts the connection, never answers, and lets go when the demo stops."""
    demo = start_demo("hang")
    outcome: list[BaseException] = []

    def waiting_client() -> None:
        """Wait for /api/health and keep what ended the wait."""
        try:
            requests.get(f"{demo.https_url}/api/health", verify=str(demo.ca_file), timeout=10)
        except requests.RequestException as exc:
            outcome.append(exc)

    client = threading.Thread(target=waiting_client)
    client.start()
    assert probes.symptoms(demo) == {"hang"}  # its read times out (about 2 s) while the client waits
    assert client.is_alive()
    began = time.perf_counter()
    demo.stop()
    client.join(5)
    assert not client.is_alive() and time.perf_counter() - began < 2
    assert isinstance(outcome[0], requests.ConnectionError) and not isinstance(outcome[0], requests.Timeout)


def test_expired_cert(start_demo: StartDemo) -> None:
    """The server certificate comes from the demo CA but expired; ssl says so."""
    demo = start_demo("expired-cert")
    assert probes.tls_problem(demo) == "certificate has expired"
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{demo.https_url}/", verify=str(demo.ca_file), timeout=5)


def test_wrong_host_cert(start_demo: StartDemo) -> None:
    """The certificate is valid and from the demo CA, for another host name only."""
    demo = start_demo("wrong-host-cert")
    assert "mismatch" in probes.tls_problem(demo)
    assert probes.tls_problem(demo, host="wrong-host.example.net") is None


def test_missing_table(start_demo: StartDemo) -> None:
    """orders is gone from app.db (the site still works); the backups still hold it."""
    demo = start_demo("missing-table")
    assert probes.tables(demo) == {"users", "products"}
    assert requests.get(f"{demo.https_url}/products", verify=str(demo.ca_file), timeout=5).ok
    restored = sqlite3.connect(":memory:")
    restored.executescript(gzip.decompress(probes.backups(demo)[0].read_bytes()).decode())
    assert restored.execute("SELECT count(*) FROM orders").fetchone()[0] > 0


def test_stale_backup(start_demo: StartDemo) -> None:
    """The newest backup is 49 h old: no daily for the last two days; the job's log stops there too."""
    demo = start_demo("stale-backup")
    files = probes.backups(demo)
    age = time.time() - files[0].stat().st_mtime
    assert 48.9 * 3600 < age < 49.1 * 3600
    log = (demo.state_dir / "logs" / "backup.log").read_text().splitlines()
    assert log[-1].endswith(f"backup completed: {files[0].name} ({files[0].stat().st_size} bytes, "
                            f"sha256 {hashlib.sha256(files[0].read_bytes()).hexdigest()[:12]})")


def test_truncated_backup(start_demo: StartDemo) -> None:
    """The newest file fails `gzip -t`, while its sidecar matches and its size is within max_shrink."""
    demo = start_demo("truncated-backup")
    newest, previous = probes.backups(demo)[:2]
    assert subprocess.run(["gzip", "-t", str(newest)], capture_output=True).returncode != 0
    assert subprocess.run(["gzip", "-t", str(previous)], capture_output=True).returncode == 0
    assert probes.sidecar_ok(newest)
    assert 0.8 < newest.stat().st_size / previous.stat().st_size < 1


def test_checksum_mismatch(start_demo: StartDemo) -> None:
    """The newest backup is whole, but its .sha256 sidecar names another digest."""
    demo = start_demo("checksum-mismatch")
    files = probes.backups(demo)
    assert probes.gzip_ok(files[0]) and not probes.sidecar_ok(files[0])
    assert all(probes.sidecar_ok(path) for path in files[1:])
    result = subprocess.run(["sha256sum", "-c", files[0].name + ".sha256"], cwd=files[0].parent,
                            capture_output=True, text=True)
    assert result.returncode != 0 and "FAILED" in result.stdout


def test_retention_gap(start_demo: StartDemo) -> None:
    """The monthly of three months ago is missing, and nothing else."""
    demo = start_demo("retention-gap")
    files = probes.backups(demo)
    newest = dt.datetime.fromtimestamp(files[0].stat().st_mtime)
    index = newest.year * 12 + newest.month - 1 - 3
    assert probes.months_missing(files) == [(index // 12, index % 12 + 1)]


def test_error_spike(start_demo: StartDemo) -> None:
    """app.log gains 40 ERROR entries in the last hour (3 were there in the last 24 h)."""
    demo = start_demo("error-spike")
    assert probes.errors_in_last(demo, hours=1) == 40
    assert probes.errors_in_last(demo, hours=24) == 43
