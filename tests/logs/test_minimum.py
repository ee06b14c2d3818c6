"""The minimum on matching log lines (min/warn_min) on real files: a job that must have logged a success."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from opsverify.checks.logs import matches
from opsverify.result import Status
from opsverify.spec.models.hosts import HostLog
from tests.logs.helpers import HOUR, log_entry, spread, write_log

CRON = spread(48, "INFO: cron tick {i}", newest=60, oldest=47 * HOUR)
REPORT = {"pattern": "report sent", "max": None}


def test_no_success_in_the_window_fails_with_the_count_and_the_minimum(tmp_path: Path) -> None:
    path = write_log(tmp_path / "cron.log", CRON + [(30 * HOUR, "INFO: report sent to 12 recipients")])
    result = matches(log_entry(path, **REPORT, min=1))
    assert result.status is Status.FAILED
    assert result.value == 0
    assert result.reason == f'0 lines matching "report sent" in {path} in the last 24h; at least 1 expected'


def test_a_success_inside_the_window_passes(tmp_path: Path) -> None:
    path = write_log(tmp_path / "cron.log", CRON + [(2 * HOUR, "INFO: report sent to 12 recipients")])
    result = matches(log_entry(path, **REPORT, min=1))
    assert result.status is Status.PASSED, result.reason
    assert result.reason == f'1 lines matching "report sent" in {path} in the last 24h; at least 1 expected'
    assert result.evidence["top_messages"][0]["message"] == "production.INFO: report sent to # recipients"


def test_a_log_not_written_in_the_window_counts_zero(tmp_path: Path) -> None:
    path = write_log(tmp_path / "cron.log", [(30 * HOUR, "INFO: report sent")], mtime=time.time() - 30 * HOUR)
    result = matches(log_entry(path, **REPORT, min=1))
    assert result.status is Status.FAILED
    assert result.value == 0


def test_below_warn_min_warns_and_min_still_passes(tmp_path: Path) -> None:
    path = write_log(tmp_path / "cron.log", CRON + spread(2, "INFO: report sent", 60, 3 * HOUR))
    result = matches(log_entry(path, **REPORT, min=1, warn_min=4))
    assert result.status is Status.WARNING
    assert result.reason == f'2 lines matching "report sent" in {path} in the last 24h; warning level at least 4'


def test_max_and_min_together_report_the_broken_side(tmp_path: Path) -> None:
    path = write_log(tmp_path / "cron.log", CRON + spread(9, "INFO: report sent", 60, 5 * HOUR))
    result = matches(log_entry(path, pattern="report sent", max=5, min=1))
    assert result.status is Status.FAILED
    assert result.reason == f'count of lines matching "report sent" in the last 24h of {path} is 9; limit 5'
    assert matches(log_entry(path, pattern="report sent", max=20, min=10)).reason.endswith("; at least 10 expected")


def test_min_alone_is_a_limit_and_no_limit_is_still_refused() -> None:
    assert HostLog.model_validate({"name": "report", "path": "/x", "pattern": "sent", "min": 1}).min == 1
    with pytest.raises(ValidationError, match="give a limit: max, min and/or max_repeats"):
        HostLog.model_validate({"name": "report", "path": "/x", "pattern": "sent"})


def aide_report(path: Path, finished: float, *, differences: bool = False) -> Path:
    """/var/log/aide/aide.log as Debian's daily `aide --check` rewrites it, for a run that ended `finished`."""
    stamp = time.strftime("%Y-%m-%d %H:%M:%S +0000", time.gmtime(finished))
    verdict = "AIDE found differences between database and filesystem!!" if differences else \
        "AIDE found NO differences between database and filesystem. Looks okay!!"
    path.write_text(f"Start timestamp: {stamp} (AIDE 0.17.4)\n{verdict}\n\nNumber of entries:\t41250\n\n"
                    f"End timestamp: {stamp} (run time: 4m 11s)\n")
    os.utime(path, (finished, finished))
    return path


AIDE_DONE = {"pattern": "End timestamp:", "window": "26h", "min": 1, "max": None}
AIDE_CHANGES = {"pattern": "found differences", "window": "26h", "max": 0}


def test_an_aide_run_that_never_happens_fails_its_minimum_and_says_nothing_was_written(tmp_path: Path) -> None:
    path = aide_report(tmp_path / "aide.log", time.time() - 3 * 86400)  # the cron job stopped three days ago
    done = matches(log_entry(path, **AIDE_DONE))
    changes = matches(log_entry(path, **AIDE_CHANGES))
    last = time.strftime("%Y-%m-%d %H:%M", time.localtime(os.stat(path).st_mtime))
    assert done.status is Status.FAILED
    assert done.reason == (f'0 lines matching "End timestamp:" in {path} in the last 26h; at least 1 expected; '
                           f"nothing at all was written to {path} in the last 26h (last written {last})")
    assert changes.status is Status.PASSED  # no report, no differences: the minimum above is what catches it
    assert changes.reason.endswith(f"; nothing at all was written to {path} in the last 26h (last written {last})")


def test_a_completed_aide_run_passes_and_its_differences_fail(tmp_path: Path) -> None:
    clean = aide_report(tmp_path / "aide.log", time.time() - 5 * 3600)
    assert matches(log_entry(clean, **AIDE_DONE)).status is Status.PASSED
    assert matches(log_entry(clean, **AIDE_CHANGES)).status is Status.PASSED
    changed = aide_report(tmp_path / "aide.log", time.time() - 5 * 3600, differences=True)
    result = matches(log_entry(changed, **AIDE_CHANGES))
    assert result.status is Status.FAILED
    assert result.reason == f'count of lines matching "found differences" in the last 26h of {changed} is 1; limit 0'
