"""The scheduler against a fake clock: the right cadence at the right local time, catch-up, one run at a time."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from opsverify.schedule import calendar
from opsverify.schedule.daemon import Daemon
from opsverify.schedule.lock import RunLock
from tests.schedule.helpers import UTC, ArchivingRunner, FakeClock, env_file, write_record

AMS = zoneinfo.ZoneInfo("Europe/Amsterdam")
CALENDAR = """timezone: Europe/Amsterdam
daily: "02:30"
weekly: "monday 08:00"
monthly: "first monday 07:00"
quarterly: "first monday of jan,apr,jul,oct 06:00\""""


def _daemon(tmp_path, schedule: str, start: dt.datetime, **runner_options):
    clock = FakeClock(start)
    reports = tmp_path / "reports"
    runner = ArchivingRunner(reports, "shop", clock, **runner_options)
    lines: list[str] = []
    daemon = Daemon(env_file(tmp_path, schedule), reports, runner=runner, clock=clock, log=lines.append)
    return daemon, clock, runner, lines


def _run_until(daemon, clock, end: dt.datetime, step=dt.timedelta(minutes=1)) -> None:
    while clock.now < end:
        daemon.tick()
        clock.now += step


def _local(calls):
    return [(name, calendar.local(at, AMS)) for name, at in calls]


def test_each_cadence_starts_at_its_local_time_across_spring_forward_and_a_quarter_boundary(tmp_path):
    daemon, clock, runner, _ = _daemon(tmp_path, CALENDAR, dt.datetime(2026, 3, 27, 12, tzinfo=UTC))
    _run_until(daemon, clock, dt.datetime(2026, 4, 6, 12, tzinfo=UTC))
    daily = [(n, t) for n, t in _local(runner.calls) if n == "daily"]
    assert daily[:3] == [("daily", "Sat 2026-03-28 02:30 CET"), ("daily", "Sun 2026-03-29 03:30 CEST"),
                         ("daily", "Mon 2026-03-30 02:30 CEST")]
    assert len(daily) == 10  # Mar 28 .. Apr 6, once a day
    others = [(n, t) for n, t in _local(runner.calls) if n != "daily"]
    assert others == [("weekly", "Mon 2026-03-30 08:00 CEST"), ("quarterly", "Mon 2026-04-06 06:00 CEST"),
                      ("monthly", "Mon 2026-04-06 07:00 CEST"), ("weekly", "Mon 2026-04-06 08:00 CEST")]


def test_the_hour_repeated_by_fall_back_runs_once(tmp_path):
    daemon, clock, runner, _ = _daemon(tmp_path, 'timezone: Europe/Amsterdam\ndaily: "02:30"',
                                       dt.datetime(2026, 10, 24, 12, tzinfo=UTC))
    _run_until(daemon, clock, dt.datetime(2026, 10, 26, 12, tzinfo=UTC))
    assert _local(runner.calls) == [("daily", "Sun 2026-10-25 02:30 CEST"), ("daily", "Mon 2026-10-26 02:30 CET")]


def test_a_run_missed_while_down_is_caught_up_at_restart_and_only_once(tmp_path):
    schedule = 'timezone: Europe/Amsterdam\ndaily: "09:00"\nweekly: "monday 08:00"'
    now = dt.datetime(2026, 5, 4, 12, tzinfo=UTC)  # Mon 14:00 CEST: today's 09:00 daily run was missed
    write_record(tmp_path / "reports", "shop", dt.datetime(2026, 5, 2, 7, tzinfo=UTC), "daily")
    daemon, clock, runner, lines = _daemon(tmp_path, schedule, now)
    daemon.tick()
    assert _local(runner.calls) == [("daily", "Mon 2026-05-04 14:00 CEST")]  # weekly never ran: not replayed
    assert any("catching up the run due Mon 2026-05-04 09:00 CEST" in line for line in lines), lines
    clock.advance(minutes=1)
    daemon.tick()
    restarted = Daemon(tmp_path / "shop.yml", tmp_path / "reports", runner=runner, clock=clock, log=lines.append)
    restarted.tick()
    assert len(runner.calls) == 1  # the catch-up is in the archive now


def test_a_second_run_of_the_environment_is_refused_while_one_holds_the_lock(tmp_path):
    daemon, clock, runner, lines = _daemon(tmp_path, 'timezone: UTC\ndaily: "09:00"',
                                           dt.datetime(2026, 5, 4, 8, 59, tzinfo=UTC))
    daemon.tick()
    clock.advance(minutes=1)
    with RunLock(tmp_path / "reports", "shop", "manual restore drill"):
        daemon.tick()
        daemon.tick()
    assert runner.calls == []
    refused = [line for line in lines if "not starting daily" in line]
    assert len(refused) == 1 and "already going on (manual restore drill by pid" in refused[0], lines
    clock.advance(minutes=1)
    daemon.tick()
    assert [name for name, _ in runner.calls] == ["daily"]


def test_checks_that_need_the_window_wait_for_it(tmp_path):
    schedule = 'timezone: Europe/Amsterdam\nweekly: "monday 08:00"\nmaintenance_window: "sunday 02:00-04:00"'
    daemon, clock, runner, _ = _daemon(tmp_path, schedule, dt.datetime(2026, 5, 4, 5, tzinfo=UTC))
    _run_until(daemon, clock, dt.datetime(2026, 5, 11, 12, tzinfo=UTC), step=dt.timedelta(minutes=5))
    assert _local(runner.calls) == [("weekly", "Mon 2026-05-04 08:00 CEST"),
                                    ("weekly:window", "Sun 2026-05-10 02:00 CEST"),
                                    ("weekly", "Mon 2026-05-11 08:00 CEST")]


def test_a_window_part_with_no_check_needing_the_window_runs_nothing(tmp_path):
    schedule = 'timezone: UTC\nweekly: "monday 08:00"\nmaintenance_window: "sunday 02:00-04:00"'
    daemon, clock, runner, lines = _daemon(tmp_path, schedule, dt.datetime(2026, 5, 4, 7, tzinfo=UTC),
                                           window_checks=False)
    _run_until(daemon, clock, dt.datetime(2026, 5, 10, 3, tzinfo=UTC), step=dt.timedelta(minutes=10))
    assert [name for name, _ in runner.calls] == ["weekly"]
    assert sum("no weekly check needs the maintenance window" in line for line in lines) == 1


def test_a_file_without_a_schedule_is_refused(tmp_path):
    path = tmp_path / "bare.yml"
    path.write_text("environment: bare\n")
    with pytest.raises(ValueError, match="no schedule section"):
        Daemon(path, tmp_path / "reports")
