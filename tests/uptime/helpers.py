"""Sample files in the watcher's own format, and run contexts to judge them from a fixed now."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from opsverify.checks.uptime import stamp
from opsverify.context import RunContext
from opsverify.schedule.watch import append
from opsverify.spec import Environment

NOW = dt.datetime(2026, 5, 4, 12, 0, tzinfo=dt.timezone.utc)
MINUTE = dt.timedelta(minutes=1)


def environment(**uptime: Any) -> Environment:
    """An environment with one endpoint, api-health, that has `uptime:` with these keys."""
    return Environment.model_validate({"environment": "prod", "endpoints": [
        {"name": "api-health", "url": "https://app.example.com/health", "uptime": uptime}]})


def context(env: Environment, reports: Path, now: dt.datetime = NOW) -> RunContext:
    """A run of env started at `now`, archiving into reports."""
    return RunContext(env, reports, None, now)


def write(reports: Path, moment: dt.datetime, up: bool, reason: str = "HTTP 200", endpoint: str = "api-health",
          environment_name: str = "prod") -> None:
    """One sample, appended to its day's file as the watcher writes it."""
    append(reports, environment_name, moment,
           {"t": stamp(moment), "endpoint": endpoint, "up": up, "ms": 12.5, "reason": reason})


def minutes(reports: Path, count: int, down: dict[int, str] | None = None, *, end: dt.datetime = NOW,
            endpoint: str = "api-health") -> None:
    """`count` one-minute samples ending just before `end` (a second into each minute); `down` maps a minute
    index (0 = the oldest) to the reason it was down."""
    down = down or {}
    first = end - count * MINUTE + dt.timedelta(seconds=1)
    for index in range(count):
        write(reports, first + index * MINUTE, index not in down, down.get(index, "HTTP 200"), endpoint)


def at(text: str) -> int:
    """The minute index of a UTC time "HH:MM" in a 24h series ending at NOW (12:00)."""
    hours, mins = map(int, text.split(":"))
    moment = NOW.replace(hour=hours, minute=mins)
    if moment >= NOW:
        moment -= dt.timedelta(days=1)
    return int((moment - (NOW - 1440 * MINUTE)) / MINUTE)
