"""Retention: calendar slots counted back from the newest backup, and restic's rules for what is too old."""

from __future__ import annotations

import datetime as dt
import os

from opsverify.checks.backup.retention import kept, retention, slot_label, slots
from opsverify.result import Status
from opsverify.spec.models.backups import Retention
from tests.backups.conftest import Shelf, backup

POLICY = {"daily": 7, "weekly": 4, "monthly": 12, "yearly": 3}
NEWEST = dt.datetime.now().astimezone().replace(hour=3, minute=0, second=0, microsecond=0) - dt.timedelta(days=1)


def month_start(back: int) -> dt.datetime:
    """03:00 on the first day of the month `back` months before NEWEST's."""
    index = NEWEST.year * 12 + NEWEST.month - 1 - back
    return NEWEST.replace(year=index // 12, month=index % 12 + 1, day=1)


def gfs() -> list[dt.datetime]:
    """What a GFS job keeps under POLICY: 8 dailies, weeklies, 11 monthlies, 2 yearlies (1 January)."""
    times = [NEWEST - dt.timedelta(days=d) for d in range(8)]
    times += [NEWEST - dt.timedelta(weeks=w) for w in range(2, 7)]
    times += [month_start(back) for back in range(1, 12)]
    times += [NEWEST.replace(year=NEWEST.year - back, month=1, day=1) for back in (1, 2)]
    return sorted(set(times), reverse=True)


def shelve(shelf: Shelf, times: list[dt.datetime]) -> None:
    """A file per time, named by its date, with that mtime."""
    for when in times:
        path = shelf.folder / f"db-{when:%Y-%m-%d}.sql.gz"
        path.write_bytes(b"x")
        os.utime(path, (when.timestamp(), when.timestamp()))


def test_a_gfs_history_fills_every_slot_and_keeps_nothing_extra(shelf: Shelf) -> None:
    shelve(shelf, gfs())
    result = retention(backup(shelf.glob(), retention=POLICY))
    assert result.status is Status.PASSED, result.reason
    oldest = NEWEST.replace(year=NEWEST.year - 2, month=1, day=1)
    assert result.reason.endswith("every slot of the policy holds a backup (7 daily, 4 weekly, 12 monthly, "
                                  f"3 yearly) and nothing is older than it keeps ({len(gfs())} files, oldest kept "
                                  f"db-{oldest:%Y-%m-%d}.sql.gz)")


def test_a_missing_monthly_is_a_missing_slot_although_restic_would_count_an_older_month(shelf: Shelf) -> None:
    gap = month_start(3)
    shelve(shelf, [t for t in gfs() if (t.year, t.month) != (gap.year, gap.month)])
    result = retention(backup(shelf.glob(), retention=POLICY))
    assert result.status is Status.FAILED
    assert result.reason == (f"{shelf.glob()}: no monthly backup for {gap:%Y-%m} (1 of 12 monthly slots empty)")
    assert result.evidence["older_than_policy"] == []


def test_a_missing_daily_is_named(shelf: Shelf) -> None:
    skipped = NEWEST - dt.timedelta(days=2)
    shelve(shelf, [NEWEST - dt.timedelta(days=d) for d in range(8) if d != 2])  # restic keeps day 7 instead
    result = retention(backup(shelf.glob(), retention={"daily": 7}))
    assert result.status is Status.FAILED
    assert result.reason == f"{shelf.glob()}: no daily backup for {skipped:%Y-%m-%d} (1 of 7 daily slots empty)"


def test_files_older_than_the_policy_keeps_are_listed(shelf: Shelf) -> None:
    ancient = NEWEST.replace(year=NEWEST.year - 5, month=6, day=1)
    shelve(shelf, [*gfs(), ancient])
    result = retention(backup(shelf.glob(), retention=POLICY))
    assert result.status is Status.FAILED
    oldest = NEWEST.replace(year=NEWEST.year - 2, month=1, day=1)
    assert result.reason == (f"{shelf.glob()}: 1 file older than the policy keeps: db-{ancient:%Y-%m-%d}.sql.gz "
                             f"(oldest kept: db-{oldest:%Y-%m-%d}.sql.gz)")


def test_a_young_set_misses_the_slots_it_has_not_reached_yet(shelf: Shelf) -> None:
    shelve(shelf, [NEWEST - dt.timedelta(days=d) for d in range(20)])  # 20 days never reach a third month
    result = retention(backup(shelf.glob(), retention={"daily": 7, "monthly": 3}))
    assert result.status is Status.FAILED
    assert "(1 of 3 monthly slots empty)" in result.reason or "(2 of 3 monthly slots empty)" in result.reason


def test_restic_keeps_the_newest_of_each_bucket_and_the_oldest_while_counts_are_left() -> None:
    jan, feb, mar, may = (dt.datetime(2026, m, d) for m, d in ((1, 20), (2, 10), (3, 5), (5, 1)))
    times = [may, mar, feb - dt.timedelta(days=1), feb - dt.timedelta(days=2), jan]  # newest first
    assert kept(times, Retention(monthly=3)) == {0, 1, 2}  # May, March and the newest of February
    assert kept(times, Retention(monthly=9)) == {0, 1, 2, 4}  # counts left: January, the oldest, is kept too
    assert kept(times, Retention(daily=2, yearly=1)) == {0, 1}


def test_slots_are_calendar_units_counted_back_from_the_newest() -> None:
    newest = dt.datetime(2026, 1, 2, 3, 0)
    assert [slot_label("monthly", s) for s in slots("monthly", newest, 3)] == ["2026-01", "2025-12", "2025-11"]
    assert [slot_label("weekly", s) for s in slots("weekly", newest, 2)] == ["2026-W01", "2025-W52"]
    assert [slot_label("daily", s) for s in slots("daily", newest, 3)] == ["2026-01-02", "2026-01-01", "2025-12-31"]
    assert [slot_label("yearly", s) for s in slots("yearly", newest, 2)] == ["2026", "2025"]
    assert [slot_label("hourly", s) for s in slots("hourly", newest, 5)] == [
        "2026-01-02 03:00", "2026-01-02 02:00", "2026-01-02 01:00", "2026-01-02 00:00", "2026-01-01 23:00"]


def test_an_hourly_set_with_a_missed_hour_fails_and_a_full_day_passes(shelf: Shelf) -> None:
    hours = [NEWEST - dt.timedelta(hours=h) for h in range(24)]
    for when in hours:
        path = shelf.folder / f"db-{when:%Y-%m-%d_%H%M}.sql.gz"
        path.write_bytes(b"x")
        os.utime(path, (when.timestamp(), when.timestamp()))
    policy = {"hourly": 24, "daily": 2}  # the oldest hourly is also the previous day's daily
    assert retention(backup(shelf.glob(), retention=policy)).status is Status.PASSED
    missed = hours[5]
    (shelf.folder / f"db-{missed:%Y-%m-%d_%H%M}.sql.gz").unlink()
    result = retention(backup(shelf.glob(), retention=policy))
    assert result.status is Status.FAILED
    assert result.reason == f"{shelf.glob()}: no hourly backup for {missed:%Y-%m-%d %H}:00 (1 of 24 hourly slots empty)"
