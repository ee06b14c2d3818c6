"""The minimum on matching log lines (min/warn_min) on real files: a job that must have logged a success."""

from __future__ import annotations

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
