"""test_endpoint_uptime's judge on real sample files in the watcher's format, from a fixed now."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

from opsverify.checks.uptime import availability, day_file
from opsverify.result import Status
from tests.plugin.conftest import ROOT
from tests.uptime.helpers import MINUTE, NOW, at, context, environment, minutes, write


def judge(reports: Path, now: dt.datetime = NOW, **uptime: object):
    """The check's result for api-health with these uptime keys."""
    env = environment(**uptime)
    return availability(env.endpoints[0], context=context(env, reports, now))


def outage(start: str, length: int, reason: str) -> dict[int, str]:
    """`length` down minutes from "HH:MM"."""
    return {at(start) + i: reason for i in range(length)}


def test_a_day_all_up_passes(tmp_path: Path) -> None:
    minutes(tmp_path, 1440)
    result = judge(tmp_path, min="99.9%", over="24h")
    assert result.status is Status.PASSED, result.reason
    assert result.reason == "api-health up 100% of the last 24h (1440 of 1440 samples); limit 99.9%"
    assert result.evidence["coverage"] == 1.0
    assert result.evidence["down_intervals"] == 0


def test_a_day_at_99_percent_fails_naming_the_three_longest_intervals(tmp_path: Path) -> None:
    down = {**outage("03:12", 4, "HTTP 502"), **outage("07:00", 5, "connection refused on app.example.com:443"),
            **outage("09:30", 2, "HTTP 503"), **outage("10:00", 1, "no answer within 10s"),
            **outage("11:00", 2, "HTTP 502")}
    minutes(tmp_path, 1440, down)
    result = judge(tmp_path, min="99.9%", over="24h")
    assert result.status is Status.FAILED
    assert result.reason == (
        "api-health up 99.02% of the last 24h (1426 of 1440 samples); down 07:00-07:04 UTC (5 min, connection "
        "refused on app.example.com:443), 03:12-03:15 UTC (4 min, HTTP 502), 11:00-11:01 UTC (2 min, HTTP 502) "
        "and 2 more; limit 99.9%")  # of equally long ones, the latest
    assert result.evidence["down_intervals"] == 5
    assert result.limit == "99.9%"


def test_below_the_warning_level_but_above_the_limit_warns(tmp_path: Path) -> None:
    minutes(tmp_path, 1440, outage("23:58", 2, "HTTP 500"))
    result = judge(tmp_path, min="99%", warn_min="99.9%", over="24h")
    assert result.status is Status.WARNING
    assert result.reason == ("api-health up 99.86% of the last 24h (1438 of 1440 samples); down 23:58-23:59 UTC "
                             "(2 min, HTTP 500); warning level 99.9%")


def test_too_few_samples_is_an_error_not_a_pass(tmp_path: Path) -> None:
    minutes(tmp_path, 120)
    result = judge(tmp_path, min="99.9%", over="24h")
    assert result.status is Status.ERROR
    assert result.reason == ("only 120 of 1440 expected samples (one every 1m) of api-health in the last 24h: "
                             "is `opsverify watch` running? (min_coverage 90%)")


def test_no_samples_at_all_is_an_error(tmp_path: Path) -> None:
    result = judge(tmp_path, min="99.9%", over="24h", min_coverage="0%")
    assert result.status is Status.ERROR
    assert result.reason.startswith("only 0 of 1440 expected samples")


def test_other_endpoints_samples_are_ignored(tmp_path: Path) -> None:
    minutes(tmp_path, 1440)
    minutes(tmp_path, 1440, {i: "HTTP 503" for i in range(1440)}, endpoint="admin")
    result = judge(tmp_path, min="99.9%", over="24h")
    assert result.status is Status.PASSED, result.reason
    assert result.evidence["samples"] == 1440


def test_samples_older_than_over_and_newer_than_the_run_are_ignored(tmp_path: Path) -> None:
    minutes(tmp_path, 1440)
    minutes(tmp_path, 300, {i: "HTTP 503" for i in range(300)}, end=NOW - dt.timedelta(hours=24))
    write(tmp_path, NOW + MINUTE, False, "HTTP 503")
    result = judge(tmp_path, min="99.9%", over="24h")
    assert result.status is Status.PASSED, result.reason
    assert result.evidence["samples"] == 1440


def test_an_outage_across_midnight_is_one_interval_read_from_two_files(tmp_path: Path) -> None:
    minutes(tmp_path, 1440, outage("23:57", 6, "HTTP 503"))
    assert all(day_file(tmp_path, "prod", day).is_file() for day in (NOW - dt.timedelta(days=1), NOW))
    result = judge(tmp_path, min="99.9%", over="24h")
    assert result.status is Status.FAILED
    assert result.reason == ("api-health up 99.58% of the last 24h (1434 of 1440 samples); down 23:57-00:02 UTC "
                             "(6 min, HTTP 503); limit 99.9%")


def test_a_gap_in_the_samples_splits_an_outage_and_longer_periods_show_dates(tmp_path: Path) -> None:
    down = {i: "HTTP 502" for i in (100, 101, 107, 108, 200)}
    minutes(tmp_path, 2880, down)
    lines = day_file(tmp_path, "prod", NOW - dt.timedelta(days=2)).read_text().splitlines()
    day_file(tmp_path, "prod", NOW - dt.timedelta(days=2)).write_text(  # the watcher was away 5 minutes
        "\n".join(line for n, line in enumerate(lines) if not 101 < n < 107) + "\n{torn\n")
    result = judge(tmp_path, min="99.9%", over="2d")
    assert result.status is Status.FAILED
    assert result.reason == (
        "api-health up 99.82% of the last 2d (2870 of 2875 samples); "
        "down 2026-05-02 13:40-13:41 UTC (2 min, HTTP 502), 2026-05-02 13:47-13:48 UTC (2 min, HTTP 502), "
        "2026-05-02 15:20 UTC (1 min, HTTP 502); limit 99.9%")
    assert result.evidence["unreadable_lines"] == 1


def test_the_checklist_reads_the_samples_of_the_runs_own_archive(tmp_path: Path) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    minutes(tmp_path / "reports", 1440, {i: "HTTP 502" for i in range(1000, 1004)}, end=now)
    env = tmp_path / "env.yml"
    env.write_text("environment: prod\nendpoints:\n"
                   "  - {name: api-health, url: 'http://127.0.0.1:9/', uptime: {min: 99.9%, over: 24h}}\n")
    out = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-m", "daily and health",
                          "-k", "test_endpoint_uptime", f"--env={env}", f"--reports={tmp_path / 'reports'}"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1, out.stdout + out.stderr
    assert re.search(r"api-health up 99\.7\d% of the last 24h \(143\d of 14[34]\d samples\); down \d\d:\d\d-\d\d:\d\d "
                     r"UTC \(4 min, HTTP 502\); limit 99\.9%", out.stdout), out.stdout
