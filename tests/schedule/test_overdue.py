"""The daily audit-gap check: a cadence whose due run did not happen fails it, naming the gap."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from opsverify.context import RunContext
from opsverify.result import Status
from opsverify.schedule.overdue import cadences, on_schedule
from opsverify.spec import load
from tests.plugin.conftest import run_checklist
from tests.schedule.helpers import UTC, env_file, write_record

NOW = dt.datetime(2026, 5, 6, 10, tzinfo=UTC)  # Wed 12:00 CEST
CALENDAR = 'timezone: Europe/Amsterdam\ndaily: "09:00"\nweekly: "monday 08:00"\ngrace: 2h'


def _results(tmp_path, label="daily"):
    path = env_file(tmp_path, CALENDAR)
    env = load(path)
    context = RunContext(env, tmp_path / "reports", None, NOW, "", path, label)
    return {item.name: on_schedule(item, context=context) for item in cadences(env)}


def test_runs_on_time_pass(tmp_path):
    write_record(tmp_path / "reports", "shop", dt.datetime(2026, 5, 4, 6, 0, 5, tzinfo=UTC), "weekly")
    write_record(tmp_path / "reports", "shop", dt.datetime(2026, 5, 6, 7, 0, 2, tzinfo=UTC), "daily")
    results = _results(tmp_path)
    assert all(r.status is Status.PASSED for r in results.values()), results
    assert results["weekly"].reason == ("the weekly run due Mon 2026-05-04 08:00 CEST started "
                                        "Mon 2026-05-04 08:00 CEST")


def test_a_missed_weekly_run_is_an_audit_gap(tmp_path):
    write_record(tmp_path / "reports", "shop", dt.datetime(2026, 4, 27, 6, tzinfo=UTC), "weekly")
    write_record(tmp_path / "reports", "shop", dt.datetime(2026, 5, 5, 7, tzinfo=UTC), "daily")
    results = _results(tmp_path)
    weekly = results["weekly"]
    assert weekly.status is Status.FAILED
    assert weekly.reason == ("audit gap: the weekly run due Mon 2026-05-04 08:00 CEST has not happened: it is "
                             "2d 4h overdue (last weekly run Mon 2026-04-27 08:00 CEST)")
    assert weekly.value == 52.0 and weekly.unit == "h"
    assert results["daily"].status is Status.PASSED  # this very run is today's daily run


def test_a_run_that_checked_nothing_is_not_the_cadences_run(tmp_path):
    """A `-k` typo archives a run with no check: it does not stand for the day's run."""
    write_record(tmp_path / "reports", "shop", dt.datetime(2026, 5, 4, 6, tzinfo=UTC), "weekly")
    write_record(tmp_path / "reports", "shop", dt.datetime(2026, 5, 5, 7, tzinfo=UTC), "daily")
    write_record(tmp_path / "reports", "shop", dt.datetime(2026, 5, 6, 7, 0, 5, tzinfo=UTC), "daily", exit_status=5,
                 counts={"passed": 0, "failed": 0, "error": 0, "skipped": 0})
    daily = _results(tmp_path, label="weekly")["daily"]
    assert daily.status is Status.FAILED
    assert daily.reason == ("audit gap: the daily run due Wed 2026-05-06 09:00 CEST has not happened: it is "
                            "3h overdue (last daily run Tue 2026-05-05 09:00 CEST)")


def test_a_cadence_that_never_ran_is_a_gap_only_once_the_archive_is_older_than_its_due_time(tmp_path):
    write_record(tmp_path / "reports", "shop", dt.datetime(2026, 5, 5, 7, tzinfo=UTC), "daily")
    assert _results(tmp_path)["weekly"].status is Status.PASSED  # the archive began after Monday
    write_record(tmp_path / "reports", "shop", dt.datetime(2026, 4, 20, 7, tzinfo=UTC), "daily")
    weekly = _results(tmp_path)["weekly"]
    assert weekly.status is Status.FAILED and "no weekly run in the archive" in weekly.reason


@pytest.mark.parametrize("broken_demo", [[]], indirect=True, ids=["healthy-demo"])
def test_a_daily_checklist_run_fails_on_a_missed_weekly_run(broken_demo, reports):
    """End to end on the demo: its archive says the weekly run of this demo instance was missed."""
    now = dt.datetime.now(UTC)
    write_record(reports, "demo", now - dt.timedelta(days=20), "weekly", demo=True, env_file=broken_demo.env_path)
    run = run_checklist(reports, "-m", "daily", f"--env={broken_demo.env_path}")
    assert run.code == 1, run.out
    records = {r["label"]: r for r in (json.loads(p.read_text()) for p in reports.glob("demo/*/*/results.json"))}
    checks = {c["item"]: c for c in records["daily"]["checks"] if "test_cadence_ran_on_schedule" in c["nodeid"]}
    assert checks["weekly"]["outcome"] == "failed", checks
    assert checks["weekly"]["reason"].startswith("audit gap: the weekly run due"), checks
    assert checks["daily"]["outcome"] == "passed"
