"""Log files written with lines dated relative to now, in each format, and host items that read them."""

from __future__ import annotations

import gzip
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from opsverify.checks.host import OnHost
from opsverify.spec.models.hosts import Host

HOUR = 3600.0

# How each format writes a moment (epoch seconds) at the start of a line, and where the message goes.
FORMATS: dict[str, Callable[[float, str], str]] = {
    "laravel": lambda t, m: time.strftime("[%Y-%m-%d %H:%M:%S] production.", time.localtime(t)) + m,
    "iso-utc": lambda t, m: time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1000):03d}Z {m}",
    "iso-offset": lambda t, m: time.strftime("%Y-%m-%dT%H:%M:%S-05:00", time.gmtime(t - 5 * HOUR)) + f" app {m}",
    "python": lambda t, m: time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t)) + f",123 - app - {m}",
    "syslog": lambda t, m: time.strftime("%b %e %H:%M:%S", time.localtime(t)) + f" web1 app[4242]: {m}",
    "nginx": lambda t, m: f'203.0.113.9 - - [{time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(t))}] '
                          f'"GET /x HTTP/1.1" 500 12 "-" "{m}"',
    "nginx-error": lambda t, m: time.strftime("%Y/%m/%d %H:%M:%S", time.localtime(t)) + f" [error] 77#77: {m}",
    "json-iso": lambda t, m: '{"level":"error","time":"' + time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))
                             + f'","msg":"{m}"}}',
    "json-epoch-ms": lambda t, m: f'{{"ts":{int(t * 1000)},"level":"info","msg":"{m}"}}',
}


def write_log(path: Path, entries: Iterable[tuple[float, str]], fmt: str = "laravel", *,
              compress: bool = False, mtime: float | None = None) -> Path:
    """Write (age in seconds, message) entries oldest first in a format; optionally gzip it and set its mtime."""
    now = time.time()
    lines = [FORMATS[fmt](now - age, message) for age, message in sorted(entries, key=lambda e: -e[0])]
    return _write(path, lines, compress, mtime)


def write_access_log(path: Path, entries: Iterable[tuple[float, str, int, str]], *, compress: bool = False,
                     mtime: float | None = None) -> Path:
    """Write nginx combined-format lines for (age in seconds, client, status, URL path) entries, oldest first."""
    now = time.time()
    lines = [f'{client} - - [{time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now - age))}] '
             f'"GET {url} HTTP/1.1" {status} 512 "-" "Mozilla/5.0"'
             for age, client, status, url in sorted(entries, key=lambda e: -e[0])]
    return _write(path, lines, compress, mtime)


def requests(count: int, client: str, status: int, newest: float, oldest: float,
             url: str = "/api/products") -> list[tuple[float, str, int, str]]:
    """`count` requests evenly between two ages (seconds); `{i}` in `client` numbers the clients."""
    return [(age, name, status, url) for age, name in spread(count, client, newest, oldest)]


def big_access_log() -> list[tuple[float, str, int, str]]:
    """About 3.2 MB of requests: 15,000 in the last 20 h (2% of them 5xx), 15,500 from 25 h to 40 h ago."""
    return (requests(14_700, "2001:db8::{i}", 200, 60, 20 * HOUR) + requests(300, "203.0.113.9", 503, 30, 19 * HOUR)
            + requests(15_000, "198.51.100.{i}", 200, 25 * HOUR, 40 * HOUR) + requests(
                500, "198.51.100.7", 502, 26 * HOUR, 39 * HOUR))


def _write(path: Path, lines: list[str], compress: bool, mtime: float | None) -> Path:
    """Write lines to a file, gzipped if asked, with the given mtime."""
    data = "".join(line + "\n" for line in lines).encode()
    path.write_bytes(gzip.compress(data) if compress else data)
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def log_entry(path: Path | str, *, target: str = "local://", **fields: Any) -> OnHost:
    """A host item with one log (pattern ERROR|CRITICAL, window 24h and max 10 unless given)."""
    log = {"name": "app-errors", "path": str(path), "pattern": "ERROR|CRITICAL", "window": "24h", "max": 10,
           **fields}
    host = Host.model_validate({"name": "web1", "target": target, "timeout": "10s", "logs": [log]})
    return OnHost(host, host.logs[0])


def spread(count: int, message: str, newest: float, oldest: float) -> list[tuple[float, str]]:
    """`count` entries of a message evenly between two ages (seconds)."""
    step = (oldest - newest) / max(count - 1, 1)
    return [(newest + i * step, message.format(i=i)) for i in range(count)]
