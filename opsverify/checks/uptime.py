"""Availability from the samples `opsverify watch` appends: the share up over `over`, down intervals, coverage."""

from __future__ import annotations

import datetime as dt
import heapq
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opsverify.checks import probe
from opsverify.context import RunContext
from opsverify.result import Result, error, grade, skipped
from opsverify.spec.models.health import Endpoint, Uptime
from opsverify.spec.units import format_seconds

FOLDER = "uptime"  # <reports>/<environment>/uptime/<YYYY-MM-DD>.jsonl, one file per UTC day
NAMED = 3  # down intervals named in the reason, the longest first
UTC = dt.timezone.utc


def folder(reports: Path, environment: str) -> Path:
    """Where the watcher's samples of an environment live."""
    return reports / environment / FOLDER


def day_file(reports: Path, environment: str, moment: dt.datetime) -> Path:
    """The samples file of the UTC day of `moment`."""
    return folder(reports, environment) / f"{moment.astimezone(UTC):%Y-%m-%d}.jsonl"


def stamp(moment: dt.datetime) -> str:
    """A sample's time as written: ISO 8601 UTC with milliseconds and a Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Down:
    """Consecutive down samples: the first and last one's time, and the first one's reason."""

    start: dt.datetime
    end: dt.datetime
    reason: str


@dataclass
class Tally:
    """One endpoint's samples of a period, counted as they stream by; only the longest down intervals are kept."""

    every: float
    samples: int = 0
    up: int = 0
    intervals: int = 0
    unreadable: int = 0
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    current: Down | None = None
    longest: list[tuple[float, int, Down]] = field(default_factory=list)  # a min-heap of (length, order, interval)

    def add(self, moment: dt.datetime, up: bool, reason: str) -> None:
        """Count one sample; a down sample extends the open interval unless samples are missing in between."""
        self.samples, self.up = self.samples + 1, self.up + up
        self.first, self.last = self.first or moment, moment
        if self.current is not None and (up or (moment - self.current.end).total_seconds() > 2 * self.every):
            self.close()
        if up:
            return
        if self.current is None:
            self.current = Down(moment, moment, reason)
        self.current.end = moment

    def close(self) -> None:
        """End the open down interval, keeping it if it is among the longest."""
        if self.current is None:
            return
        self.intervals += 1
        entry = (self.length(self.current), self.intervals, self.current)
        if len(self.longest) < NAMED:
            heapq.heappush(self.longest, entry)
        else:
            heapq.heappushpop(self.longest, entry)
        self.current = None

    def length(self, down: Down) -> float:
        """An interval's length in seconds: from its first sample to one interval past its last."""
        return (round((down.end - down.start).total_seconds() / self.every) + 1) * self.every


def read(reports: Path, environment: str, name: str, start: dt.datetime, end: dt.datetime,
         every: float) -> Tally:
    """The samples of endpoint `name` after `start` and up to `end`, one day's file after another."""
    tally = Tally(every)
    for sample in _samples(reports, environment, start, end, tally):
        if sample.get("endpoint") == name:
            moment = _moment(sample.get("t"))
            if moment is None:
                tally.unreadable += 1
            elif start < moment <= end:
                tally.add(moment, sample.get("up") is True, str(sample.get("reason") or "down"))
    tally.close()
    return tally


def _samples(reports: Path, environment: str, start: dt.datetime, end: dt.datetime,
             tally: Tally) -> Iterator[dict[str, Any]]:
    """Every readable line of the day files from start's day to end's, streamed; others are counted."""
    day = start.astimezone(UTC).date()
    while day <= end.astimezone(UTC).date():
        path = day_file(reports, environment, dt.datetime.combine(day, dt.time(), UTC))
        if path.is_file():
            with path.open(encoding="utf-8", errors="replace") as lines:
                for line in lines:
                    try:
                        sample = json.loads(line)
                    except ValueError:
                        tally.unreadable += 1
                        continue
                    if isinstance(sample, dict):
                        yield sample
        day += dt.timedelta(days=1)


def _moment(text: Any) -> dt.datetime | None:
    """A sample's time, or None when it is not an ISO time with a zone."""
    try:
        moment = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


@probe
def availability(endpoint: Endpoint, *, context: RunContext | None = None) -> Result:
    """Samples up / samples over the last `over`, against min and warn_min; too few samples is an error."""
    uptime = endpoint.uptime
    if uptime is None:
        return skipped("no uptime set")
    if context is None:
        return error("no reports folder to read the watcher's samples from")
    now = context.started
    tally = read(context.reports, context.environment.environment, endpoint.name,
                 now - dt.timedelta(seconds=uptime.over), now,
                 uptime.every)
    expected = max(1, round(uptime.over / uptime.every))
    seen = _evidence(tally, expected, folder(context.reports, context.environment.environment))
    if not tally.samples or tally.samples < uptime.min_coverage * expected:
        return error(f"only {tally.samples} of {expected} expected samples (one every {uptime.every}) of "
                     f"{endpoint.name} in the last {uptime.over}: is `opsverify watch` running? "
                     f"(min_coverage {uptime.min_coverage})", evidence=seen)
    share = tally.up / tally.samples
    said = (f"{endpoint.name} up {percent(share)} of the last {uptime.over} ({tally.up} of {tally.samples} "
            f"samples){_downs(tally, uptime)}")
    return grade("availability", share, uptime.min, uptime.warn_min, show=percent, unit="ratio",
                 higher_is_worse=False, said=said, evidence=seen)


def percent(ratio: float) -> str:
    """A share as a percentage to two decimals, rounded down so that a failing value never prints as its limit."""
    return f"{math.floor(ratio * 10000 + 1e-6) / 100:g}%"


def _downs(tally: Tally, uptime: Uptime) -> str:
    """`; down 03:12-03:15 UTC (4 min, HTTP 502), ... and 4 more`: the longest intervals first, the rest counted."""
    if not tally.intervals:
        return ""
    named = [down for _, _, down in sorted(tally.longest, key=lambda e: (-e[0], e[1]))]
    text = ", ".join(f"{_span(down, uptime)} UTC ({_length(tally.length(down))}, {down.reason})" for down in named)
    more = tally.intervals - len(named)
    return f"; down {text}" + (f" and {more} more" if more else "")


def _span(down: Down, uptime: Uptime) -> str:
    """When an interval was, in UTC: `03:12-03:15`; the date too when `over` is longer than a day."""
    clock = "%H:%M" if uptime.every >= 60 else "%H:%M:%S"
    start, end = down.start.astimezone(UTC), down.end.astimezone(UTC)
    first = start.strftime(("%Y-%m-%d " if uptime.over > 86400 else "") + clock)
    if end.strftime(clock) == start.strftime(clock):
        return first
    return first + "-" + end.strftime(clock if end.date() == start.date() or uptime.over <= 86400
                                      else "%Y-%m-%d " + clock)


def _length(seconds: float) -> str:
    """An outage's length: `4 min` from one minute to two hours, else as format_seconds writes it."""
    return f"{seconds / 60:.0f} min" if 60 <= seconds < 7200 else format_seconds(seconds)


def _evidence(tally: Tally, expected: int, where: Path) -> dict[str, Any]:
    """The counts, coverage, first and last sample, and where they were read."""
    return {"samples": tally.samples, "expected_samples": expected, "up": tally.up,
            "coverage": round(tally.samples / expected, 4), "down_intervals": tally.intervals,
            "first_sample": tally.first and stamp(tally.first), "last_sample": tally.last and stamp(tally.last),
            "unreadable_lines": tally.unreadable, "folder": str(where)}
