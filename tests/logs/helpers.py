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
