"""The calendar rules: nth and last weekdays, quarters, windows, and time zones across DST changes."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from opsverify.schedule import calendar
from opsverify.spec.when import parse_when

AMS = zoneinfo.ZoneInfo("Europe/Amsterdam")
UTC = dt.timezone.utc


def _next(kind: str, text: str, after: dt.datetime, zone=AMS) -> str:
    return calendar.local(calendar.following(parse_when(kind, text), zone, after), zone)


def test_first_and_last_weekdays_of_a_month():
    start = dt.datetime(2026, 1, 1, tzinfo=UTC)
    assert _next("monthly", "first monday 07:00", start) == "Mon 2026-01-05 07:00 CET"
    assert _next("monthly", "last friday 18:00", start) == "Fri 2026-01-30 18:00 CET"
    assert _next("monthly", "second tuesday 10:00", start) == "Tue 2026-01-13 10:00 CET"


def test_a_quarter_starts_in_its_listed_month_across_a_dst_change():
    quarterly = "first monday of jan,apr,jul,oct 06:00"
    assert _next("quarterly", quarterly, dt.datetime(2026, 1, 6, tzinfo=UTC)) == "Mon 2026-04-06 06:00 CEST"
    assert _next("quarterly", quarterly, dt.datetime(2026, 10, 6, tzinfo=UTC)) == "Mon 2027-01-04 06:00 CET"


def test_a_time_skipped_by_spring_forward_moves_by_the_gap_and_a_repeated_one_happens_once():
    daily = parse_when("daily", "02:30")
    spring = calendar.following(daily, AMS, dt.datetime(2026, 3, 28, 12, tzinfo=UTC))
    assert calendar.local(spring, AMS) == "Sun 2026-03-29 03:30 CEST" and spring.hour == 1
    fall = calendar.following(daily, AMS, dt.datetime(2026, 10, 24, 12, tzinfo=UTC))
    assert calendar.local(fall, AMS) == "Sun 2026-10-25 02:30 CEST"
    assert calendar.local(calendar.following(daily, AMS, fall), AMS) == "Mon 2026-10-26 02:30 CET"


def test_a_window_that_crosses_midnight():
    window = parse_when("maintenance_window", "saturday 23:00-01:30")
    inside = dt.datetime(2026, 5, 9, 23, 15, tzinfo=UTC)  # Sun 01:15 CEST
    assert calendar.inside(window, AMS, inside - dt.timedelta(hours=2))  # Sat 23:15 CEST
    assert calendar.inside(window, AMS, inside - dt.timedelta(minutes=1))
    assert not calendar.inside(window, AMS, inside + dt.timedelta(minutes=30))  # Sun 01:45
    start = calendar.previous(window, AMS, inside)
    assert calendar.local(calendar.window_end(window, AMS, start), AMS) == "Sun 2026-05-10 01:30 CEST"


def test_previous_finds_the_occurrence_at_or_before_a_moment():
    weekly = parse_when("weekly", "monday 08:00")
    at = dt.datetime(2026, 5, 4, 6, 0, tzinfo=UTC)  # exactly Mon 08:00 CEST
    assert calendar.previous(weekly, AMS, at) == at
    assert calendar.local(calendar.previous(weekly, AMS, at - dt.timedelta(seconds=1)), AMS) == \
        "Mon 2026-04-27 08:00 CEST"
