"""Timestamps of log lines: ISO 8601, syslog, Laravel, nginx/Apache and JSON lines, as epoch seconds."""

from __future__ import annotations

import calendar
import re
import time
from dataclasses import dataclass
from typing import Callable

MONTHS = {name: number for number, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)}
_MON = b"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_ZONE = rb"(Z|[+-]\d\d:?\d\d)?"


@dataclass(frozen=True)
class Clock:
    """Now on the host, and how it turns a timestamp without a zone into UTC."""

    now: float  # epoch seconds
    utc_offset: int | None = None  # seconds east of UTC for naive stamps; None: this machine's local zone

    def naive(self, fields: tuple[int, int, int, int, int, int]) -> float:
        """Epoch seconds of a wall-clock time in the host's zone."""
        if self.utc_offset is None:
            return time.mktime((*fields, 0, 0, -1))
        return calendar.timegm((*fields, 0, 0, 0)) - self.utc_offset

    def wall(self, at: float, fmt: str = "%H:%M") -> str:
        """A moment as the host's wall clock shows it."""
        return time.strftime(fmt, time.localtime(at) if self.utc_offset is None else time.gmtime(at + self.utc_offset))


def _offset(zone: bytes | None) -> int | None:
    """Seconds east of UTC from `Z`, `+0100` or `-05:30`; None when the stamp has no zone."""
    if not zone:
        return None
    if zone == b"Z":
        return 0
    digits = zone[1:].replace(b":", b"")
    seconds = int(digits[:2]) * 3600 + int(digits[2:]) * 60
    return -seconds if zone[:1] == b"-" else seconds


def _at(fields: tuple[int, int, int, int, int, int], fraction: bytes | None, zone: bytes | None,
        clock: Clock) -> float:
    """Epoch seconds of date and time fields with an optional fraction and zone."""
    offset = _offset(zone)
    whole = clock.naive(fields) if offset is None else calendar.timegm((*fields, 0, 0, 0)) - offset
    return whole + (float(b"0." + fraction) if fraction else 0.0)


def _iso(m: re.Match[bytes], clock: Clock) -> float:
    """2026-11-22T09:00:01.5+01:00, 2026-11-22 09:00:01 (Laravel, Python), 2026/11/22 09:00:01 (nginx errors)."""
    fields = tuple(int(m.group(i)) for i in range(1, 7))
    return _at(fields, m.group(7), m.group(8), clock)  # type: ignore[arg-type]


def _syslog(m: re.Match[bytes], clock: Clock) -> float:
    """Nov 22 09:00:01: the year is the one that puts the stamp at most a day after now."""
    year = time.gmtime(clock.now).tm_year
    fields = (year, MONTHS[m.group(1).decode()], int(m.group(2)), int(m.group(3)), int(m.group(4)),
              int(m.group(5)))
    stamp = clock.naive(fields)
    return clock.naive((year - 1, *fields[1:])) if stamp > clock.now + 86400 else stamp


def _clf(m: re.Match[bytes], clock: Clock) -> float:
    """22/Nov/2026:09:00:01 +0000 (nginx and Apache access logs)."""
    fields = (int(m.group(3)), MONTHS[m.group(2).decode()], int(m.group(1)), int(m.group(4)),
              int(m.group(5)), int(m.group(6)))
    return _at(fields, None, m.group(7), clock)


def _json(m: re.Match[bytes], clock: Clock) -> float | None:
    """The time field of a JSON line: an ISO 8601 string, or epoch seconds, milliseconds or nanoseconds."""
    if m.group(1) is not None:
        inner = ISO.search(m.group(1))
        return _iso(inner, clock) if inner else None
    number = float(m.group(2))
    while number > 1e11:  # milliseconds, microseconds, nanoseconds
        number /= 1000
    return number


ISO = re.compile(rb"(\d{4})[-/](\d\d)[-/](\d\d)[T ](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,9}))?" + _ZONE)


@dataclass(frozen=True)
class Format:
    """One way logs write time: where to look in a line and how to read it."""

    name: str
    pattern: re.Pattern[bytes]
    reach: int  # how far into a line the stamp may start
    read: Callable[[re.Match[bytes], Clock], float | None]

    def stamp(self, line: bytes, clock: Clock) -> tuple[float, tuple[int, int]] | None:
        """The line's time in epoch seconds and where the stamp is, or None for a line without one."""
        m = self.pattern.search(line, 0, self.reach)
        if m is None:
            return None
        at = self.read(m, clock)
        return None if at is None else (at, m.span())


FORMATS = (
    Format("JSON lines", re.compile(rb'^\s*\{.*?"(?:@timestamp|timestamp|time|ts|datetime|date|t)"\s*:\s*'
                                    rb'(?:"([^"]+)"|(\d+(?:\.\d+)?))'), 4096, _json),
    Format("syslog", re.compile(rb"^(?:<\d{1,3}>)?" + _MON + rb" {1,2}(\d{1,2}) (\d\d):(\d\d):(\d\d)"), 32, _syslog),
    Format("nginx/Apache", re.compile(rb"\[(\d\d)/" + _MON + rb"/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-]\d{4})\]"), 256,
           _clf),
    Format("ISO 8601", ISO, 64, _iso),
)


def detect(line: bytes, clock: Clock) -> Format | None:
    """The format whose stamp this line carries, trying JSON, syslog, nginx/Apache, then ISO 8601 (Laravel)."""
    for fmt in FORMATS:
        if fmt.stamp(line, clock) is not None:
            return fmt
    return None
