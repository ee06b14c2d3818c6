"""No false assurance in the log checks: a log that stopped, is missing or unreadable is `error` or `failed`,
never passed or skipped."""

from __future__ import annotations

import time
from pathlib import Path

from opsverify.checks.logs import matches
from opsverify.result import Status
from tests.logs.helpers import HOUR, log_entry, write_log


def test_a_job_that_stopped_logging_fails_its_minimum_and_says_nothing_was_written(tmp_path: Path) -> None:
    path = write_log(tmp_path / "report.log", [(50 * HOUR, "INFO: report sent")], mtime=time.time() - 50 * HOUR)
    result = matches(log_entry(path, pattern="report sent", max=None, min=1))
    assert result.status is Status.FAILED
    assert f"nothing at all was written to {path} in the last 24h" in result.reason


def test_a_log_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    result = matches(log_entry(tmp_path / "gone.log", max=0))
    assert (result.status, result.reason) == (Status.ERROR, f"{tmp_path / 'gone.log'} does not exist")


def test_lines_without_a_known_timestamp_are_an_error_not_a_count(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    path.write_text("ERROR something broke\nERROR again\n")
    result = matches(log_entry(path, max=10))
    assert result.status is Status.ERROR
    assert result.reason.startswith(f"no line of {path} read in the window has a timestamp in a known format")
