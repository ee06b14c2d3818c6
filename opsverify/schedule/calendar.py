"""The calendar rules `schedule` lacks: nth weekdays, quarters, windows, all in a time zone across DST changes.

Every occurrence is a wall-clock time in the schedule's zone, returned as an aware UTC datetime. A time that
does not exist (skipped by a spring-forward change) happens at the same offset from the change (02:30 becomes
03:30); a time that happens twice (fall-back) happens the first time.
"""

from __future__ import annotations

import calendar
import datetime as dt
import zoneinfo

from opsverify.spec.when import When

UTC = dt.timezone.utc
HORIZON = 800  # days searched for an occurrence: enough for a yearly rule (e.g. "of jan") and a leap


def matches(when: When, day: dt.date) -> bool:
    """Whether a rule happens on this local date (weekday, nth or last of the month, listed months)."""
    if when.months and day.month not in when.months:
        return False
    if when.weekday is not None and day.weekday() != when.weekday:
        return False
    if when.ordinal is None:
        return True
    if when.ordinal == -1:
        return day.day + 7 > calendar.monthrange(day.year, day.month)[1]
    return (day.day - 1) // 7 + 1 == when.ordinal


def on(when: When, zone: zoneinfo.ZoneInfo, day: dt.date, time: dt.time | None = None) -> dt.datetime:
    """The UTC moment of a local date and time (the rule's start time unless given)."""
    return dt.datetime.combine(day, time or when.at, tzinfo=zone).astimezone(UTC)


def previous(when: When, zone: zoneinfo.ZoneInfo, moment: dt.datetime) -> dt.datetime | None:
    """The latest occurrence at or before moment (None if there is none within the horizon)."""
    day = moment.astimezone(zone).date() + dt.timedelta(days=1)
    for _ in range(HORIZON):
        if matches(when, day) and on(when, zone, day) <= moment:
            return on(when, zone, day)
        day -= dt.timedelta(days=1)
    return None


def following(when: When, zone: zoneinfo.ZoneInfo, moment: dt.datetime) -> dt.datetime:
    """The earliest occurrence strictly after moment."""
    day = moment.astimezone(zone).date() - dt.timedelta(days=1)
    for _ in range(HORIZON):
        if matches(when, day) and on(when, zone, day) > moment:
            return on(when, zone, day)
        day += dt.timedelta(days=1)
    raise ValueError(f"{when} never happens")  # the parser only accepts rules that do


def window_end(window: When, zone: zoneinfo.ZoneInfo, start: dt.datetime) -> dt.datetime:
    """When the window that opened at start closes (the next day when it crosses midnight)."""
    day = start.astimezone(zone).date()
    if window.until is not None and window.until <= window.at:
        day += dt.timedelta(days=1)
    return on(window, zone, day, window.until)


def inside(window: When, zone: zoneinfo.ZoneInfo, moment: dt.datetime) -> bool:
    """Whether moment falls inside the window (its start included, its end excluded)."""
    start = previous(window, zone, moment)
    return start is not None and moment < window_end(window, zone, start)


def local(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> str:
    """A moment as the schedule's wall clock shows it: `Mon 2026-05-04 07:00 CEST`."""
    return moment.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")
