"""Look at a running demo from outside (HTTP, TLS, SQLite, files) and name what is wrong with it."""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import re
import socket
import sqlite3
import ssl
import time
import zlib
from pathlib import Path

import requests

from opsverify.demo import Demo

LOG_LINE = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\] production\.(\w+): ")


def tls_problem(demo: Demo, host: str = "127.0.0.1") -> str | None:
    """The certificate verification error for host (trusting only the demo CA), or None when it verifies."""
    context = ssl.create_default_context(cafile=str(demo.ca_file))
    try:
        with socket.create_connection((demo.host, demo.https_port), timeout=3) as raw:
            with context.wrap_socket(raw, server_hostname=host):
                return None
    except ssl.SSLCertVerificationError as exc:
        return exc.verify_message


def backups(demo: Demo) -> list[Path]:
    """The backup files, newest first."""
    files = (demo.state_dir / "backups").glob("app-*.sql.gz")
    return sorted(files, key=lambda path: path.stat().st_mtime, reverse=True)


def gzip_ok(path: Path) -> bool:
    """Whether the whole gzip file decompresses with valid checksums."""
    try:
        gzip.decompress(path.read_bytes())
        return True
    except (OSError, EOFError, zlib.error):
        return False


def sidecar_ok(path: Path) -> bool:
    """Whether FILE.sha256 (sha256sum format) matches FILE."""
    digest, name = path.with_name(path.name + ".sha256").read_text().split()
    return name == path.name and digest == hashlib.sha256(path.read_bytes()).hexdigest()


def months_missing(files: list[Path], months: int = 12) -> list[tuple[int, int]]:
    """Calendar months, counted back from the newest backup's month, that have no backup."""
    stamps = [dt.datetime.fromtimestamp(p.stat().st_mtime) for p in files]
    have = {(s.year, s.month) for s in stamps}
    newest = max(stamps)
    wanted = [((newest.year * 12 + newest.month - 1 - back) // 12, (newest.month - 1 - back) % 12 + 1)
              for back in range(months)]
    return [month for month in wanted if month not in have]


def errors_in_last(demo: Demo, hours: float = 24) -> int:
    """ERROR or CRITICAL entries in app.log within the last hours."""
    since = dt.datetime.now() - dt.timedelta(hours=hours)
    count = 0
    for line in (demo.state_dir / "logs" / "app.log").read_text().splitlines():
        match = LOG_LINE.match(line)
        if match and match[2] in ("ERROR", "CRITICAL") and dt.datetime.fromisoformat(match[1]) >= since:
            count += 1
    return count


def tables(demo: Demo) -> set[str]:
    """The tables in app.db."""
    with sqlite3.connect(f"{(demo.state_dir / 'app.db').as_uri()}?mode=ro", uri=True) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def health_symptoms(demo: Demo, timeout: float = 2.2) -> set[str]:
    """What the load-balancer health URL shows: hang, health-503, degraded, slow."""
    started = time.perf_counter()
    try:
        response = requests.get(f"{demo.http_url}/api/health?detailed=true", timeout=timeout)
    except requests.ReadTimeout:
        return {"hang"}
    found = set()
    if response.status_code == 503:
        found.add("health-503")
    elif response.json()["checks"]["db"] != "up":
        found.add("degraded")
    if time.perf_counter() - started > 1.4:
        found.add("slow")
    return found


def restored_rows(backup: Path, table: str) -> int:
    """Rows of `table` after replaying a gzip'd SQLite dump into memory."""
    with sqlite3.connect(":memory:") as db:
        db.executescript(gzip.decompress(backup.read_bytes()).decode())
        return db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def symptoms(demo: Demo) -> set[str]:
    """Every problem visible from outside, named like the break that causes it; empty when healthy."""
    found = health_symptoms(demo)
    problem = tls_problem(demo)
    if problem is not None:
        found.add("expired-cert" if "expired" in problem else "wrong-host-cert" if "mismatch" in problem
                  else f"tls: {problem}")
    if tables(demo) != {"users", "products", "orders"}:
        found.add("missing-table")
    files = backups(demo)
    if time.time() - files[0].stat().st_mtime > 26 * 3600:
        found.add("stale-backup")
    if not gzip_ok(files[0]):
        found.add("truncated-backup")
    elif restored_rows(files[0], "products") == 0:
        found.add("empty-restore")
    if not all(sidecar_ok(path) for path in files):
        found.add("checksum-mismatch")
    if months_missing(files):
        found.add("retention-gap")
    if errors_in_last(demo) > 10:
        found.add("error-spike")
    found |= compliance_symptoms(demo)
    return found | (security_symptoms(demo) if problem is None else set())  # those need a working HTTPS


def security_symptoms(demo: Demo) -> set[str]:
    """What the security breaks show: weak headers and cookie, a served .env, a debug 404, the spare port, the pin."""
    found = set()
    ca = str(demo.ca_file)
    home = requests.get(f"{demo.https_url}/", verify=ca, timeout=5)
    if "Strict-Transport-Security" not in home.headers or "Content-Security-Policy" not in home.headers:
        found.add("missing-headers")
    if "Secure" not in requests.get(f"{demo.https_url}/login", verify=ca, timeout=5).headers.get("Set-Cookie", ""):
        found.add("insecure-cookie")
    if "APP_KEY=" in requests.get(f"{demo.https_url}/.env", verify=ca, timeout=5).text:
        found.add("exposed-env")
    if "Traceback" in requests.get(f"{demo.https_url}/no-such-page", verify=ca, timeout=5).text:
        found.add("debug-page")
    with socket.socket() as probe:
        probe.settimeout(2)
        if probe.connect_ex((demo.host, demo.spare_port)) == 0:
            found.add("open-port")
    if "Werkzeug==3.0.1" in (demo.state_dir / "app" / "requirements.txt").read_text():
        found.add("vulnerable-dependency")
    if re.search(r"^APP_DEBUG=true$", (demo.state_dir / "app" / ".env").read_text(), re.M):
        found.add("app-debug")
    return found


def compliance_symptoms(demo: Demo) -> set[str]:
    """What the compliance breaks show: a third admin, a stale runbook review, purged rotated logs."""
    found = set()
    with sqlite3.connect(f"{(demo.state_dir / 'app.db').as_uri()}?mode=ro", uri=True) as db:
        if db.execute("SELECT count(*) FROM users WHERE role = 'admin'").fetchone()[0] != 2:
            found.add("unapproved-admin")
    stated = re.search(r"Last reviewed: (\d{4}-\d\d-\d\d)", (demo.state_dir / "docs" / "runbook.md").read_text())
    if stated and (dt.date.today() - dt.date.fromisoformat(stated.group(1))).days > 90:
        found.add("stale-document")
    rotated = [p.stat().st_mtime for p in (demo.state_dir / "logs" / "archive").iterdir()]
    if not rotated or time.time() - min(rotated) < 90 * 86400:
        found.add("logs-purged")
    return found
