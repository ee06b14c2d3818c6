"""The backup job's log: the last success line, its timestamp in the usual formats, and its age."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from opsverify.checks.backup.joblog import job_log, timestamp
from opsverify.result import Status
from tests.backups.conftest import Shelf, backup

def logged(shelf: Shelf, *lines: str, **log: str):  # noqa: ANN201 - a Result
    """job_log of a set (one backup) whose log holds these lines."""
    shelf.put("db-1.gz", b"x")
    path = shelf.folder.parent / "backup.log"
    path.write_text("".join(line + "\n" for line in lines))
    spec = {"path": str(path), "success_pattern": "backup completed", **log}
    return job_log(backup(shelf.glob(), log=spec))


def at(hours: float) -> str:
    """A local timestamp `hours` ago as the demo's job writes it."""
    return f"{dt.datetime.now().astimezone() - dt.timedelta(hours=hours):%Y-%m-%d %H:%M:%S}"


def test_a_recent_success_line_passes(shelf: Shelf) -> None:
    result = logged(shelf, f"[{at(25)}] backup completed: db-0.gz", f"[{at(2)}] backup started: db-1.gz",
                    f"[{at(1.5)}] backup completed: db-1.gz (12 bytes)", f"[{at(1)}] rotating old files")
    assert result.status is Status.PASSED, result.reason
    assert result.reason.startswith("age of the last 'backup completed' line in ")
    assert result.reason.endswith("backup.log is 90m; limit 26h")
    assert result.evidence["line"].endswith("backup completed: db-1.gz (12 bytes)")


def test_an_old_success_line_fails(shelf: Shelf) -> None:
    result = logged(shelf, f"[{at(50)}] backup completed: db-1.gz", f"[{at(2)}] backup FAILED: disk full")
    assert result.status is Status.FAILED
    assert result.reason.endswith("backup.log is 50h; limit 26h")


def test_log_max_age_overrides_the_sets(shelf: Shelf) -> None:
    result = logged(shelf, f"[{at(3)}] backup completed", max_age="2h")
    assert result.status is Status.FAILED and result.reason.endswith("is 3h; limit 2h")


def test_no_success_line_fails(shelf: Shelf) -> None:
    result = logged(shelf, f"[{at(2)}] backup started", f"[{at(1)}] pg_dump: error: connection refused")
    assert result.status is Status.FAILED
    assert result.reason == f"no line matching 'backup completed' in {shelf.folder.parent}/backup.log"


def test_a_missing_log_fails(shelf: Shelf) -> None:
    shelf.put("db-1.gz", b"x")
    result = job_log(backup(shelf.glob(), log={"path": "/nonexistent/backup.log", "success_pattern": "ok"}))
    assert result.status is Status.FAILED
    assert result.reason == "the backup log /nonexistent/backup.log does not exist"


def test_a_success_line_without_a_time_cannot_be_judged(shelf: Shelf) -> None:
    result = logged(shelf, "backup completed")
    assert result.status is Status.ERROR
    assert "has no timestamp opsverify can read" in result.reason


NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.timezone.utc)
ZONE = dt.timezone(dt.timedelta(hours=2))


@pytest.mark.parametrize("line, expected", [
    ("2026-03-10T09:15:00Z backup completed", dt.datetime(2026, 3, 10, 9, 15, tzinfo=dt.timezone.utc)),
    ("2026-03-10 09:15:00,123 INFO backup completed", dt.datetime(2026, 3, 10, 9, 15, tzinfo=ZONE)),
    ("[2026-03-10T09:15:00+01:00] ok", dt.datetime(2026, 3, 10, 9, 15, tzinfo=dt.timezone(dt.timedelta(hours=1)))),
    ('10.0.0.1 - - [10/Mar/2026:09:15:00 +0000] "ok"', dt.datetime(2026, 3, 10, 9, 15, tzinfo=dt.timezone.utc)),
    ("Mar 10 09:15:00 db1 backup[123]: completed", dt.datetime(2026, 3, 10, 9, 15, tzinfo=ZONE)),
    ("Dec 31 23:00:00 db1 backup[1]: completed", dt.datetime(2025, 12, 31, 23, 0, tzinfo=ZONE)),
    ("completed", None),
])
def test_timestamps_in_common_log_formats(line: str, expected: dt.datetime | None) -> None:
    assert timestamp(line, ZONE, NOW) == expected


def test_the_demo_log_format_is_read(tmp_path: Path) -> None:
    line = "[2026-03-10 09:15:00] backup completed: app-2026-03-10.sql.gz (7337 bytes, sha256 91478a8b1690)"
    assert timestamp(line, ZONE, NOW) == dt.datetime(2026, 3, 10, 9, 15, tzinfo=ZONE)
