"""The checklist against five hostile targets at once: `pytest -m daily --env=FILE` in a child process,
its wall time, its peak memory (GNU time), its record; optionally interrupted by a signal mid-run.

The targets (tests.support.hostile, served by this process): HTTP headers and a Redis reply and an
SMTP banner sent a byte a second, a PostgreSQL that logs in and never answers, a 1 GiB body.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support import hostile
from tests.support.net import LOOPBACK

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 3.0  # every item's timeout
CAUSES = {  # test id -> what its error must say
    "test_endpoint_responds[dribbling-http]": r"no answer within 3s \(\d+B received\)",
    "test_endpoint_responds[huge-body]": r"body larger than 10MiB \(first 10MiB read\)",
    "test_cache_answers[dribbling-redis]": r"no answer within 3s \(\d+B received\)",
    "test_smtp_relay_accepts[dribbling-smtp]": r"no answer within 3s \(\d+B received\)",
    "test_database_connects[silent-postgres]": r"no answer within 3s",
}


@dataclass(frozen=True)
class Finished:
    """A finished run: exit code, wall seconds (from start, and from the signal), peak RSS, output, archive."""

    code: int
    seconds: float
    after_signal: float | None
    peak_rss_mb: float | None
    out: str
    reports: Path

    @property
    def record(self) -> dict[str, Any]:
        """The run's results.json."""
        (path,) = self.reports.glob("*/*/*/results.json")
        return json.loads(path.read_text())

    @property
    def report(self) -> Path:
        """The run's report.html."""
        (path,) = self.reports.glob("*/*/*/report.html")
        return path

    def outcomes(self) -> dict[str, tuple[str, str]]:
        """Test id -> (outcome, reason) for every check of the record."""
        return {c["nodeid"].rpartition("::")[2]: (c["outcome"], c["reason"]) for c in self.record["checks"]}


@contextmanager
def environment(folder: Path) -> Iterator[tuple[Path, threading.Event]]:
    """Serve the five targets; yield the environment file naming them, and an event set at the first probe."""
    probed = threading.Event()

    def noticed(talk: hostile.Conversation) -> hostile.Conversation:
        def talk_after_noting(conn: Any, stop: threading.Event) -> None:
            probed.set()
            talk(conn, stop)
        return talk_after_noting

    with ExitStack() as stack:
        port = {name: stack.enter_context(hostile.serving(noticed(talk))) for name, talk in (
            ("http", hostile.http_headers_trickle()), ("body", hostile.endless_body()),
            ("redis", hostile.redis_reply_trickle()), ("smtp", hostile.smtp_banner_trickle()),
            ("postgres", hostile.postgres_silent_after_login()))}
        path = folder / "hostile.yml"
        path.write_text(f"""environment: hostile
defaults: {{timeout: {TIMEOUT:g}s}}
endpoints:
  - {{name: dribbling-http, url: "http://{LOOPBACK}:{port['http']}/"}}
  - {{name: huge-body, url: "http://{LOOPBACK}:{port['body']}/", expect: {{contains: never there}}}}
databases:
  - {{name: silent-postgres, url: "postgresql+psycopg://postgres@{LOOPBACK}:{port['postgres']}/app"}}
caches:
  - {{name: dribbling-redis, url: "redis://{LOOPBACK}:{port['redis']}/0"}}
smtp:
  - {{name: dribbling-smtp, host: {LOOPBACK}, port: {port['smtp']}}}
""")
        yield path, probed


def run(env: Path, probed: threading.Event, reports: Path, *, python: str = sys.executable,
        interrupt: signal.Signals | None = None, at: float = 2.0) -> Finished:
    """Run the daily checklist on `env`; with `interrupt`, send it `at` seconds after the first probe arrived.

    Peak memory is measured with GNU time (`/usr/bin/time -v`) when it is installed and no signal is sent.
    """
    argv = [python, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider", "-m", "daily",
            f"--env={env}", f"--reports={reports}"]
    timed = interrupt is None and shutil.which("time", path="/usr/bin") is not None
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("OPSV_ENV", "PYTEST_"))}
    probed.clear()
    start = time.monotonic()
    child = subprocess.Popen(["/usr/bin/time", "-v", *argv] if timed else argv, cwd=ROOT, env=environ,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    signalled = None
    if interrupt is not None:
        probed.wait(60)
        time.sleep(at)
        child.send_signal(interrupt)
        signalled = time.monotonic()
    out, _ = child.communicate(timeout=300)
    ended = time.monotonic()
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", out) if timed else None
    return Finished(child.returncode, ended - start, ended - signalled if signalled else None,
                    int(peak.group(1)) / 1024 if peak else None, out, reports)
