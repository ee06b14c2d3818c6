"""The demo's backup history satisfies its own retention policy on every day of the year."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from opsverify.checks.backup.retention import retention
from opsverify.demo import backups as history
from opsverify.result import Status
from tests.backups.conftest import backup

POLICY = {"daily": 7, "weekly": 4, "monthly": 12, "yearly": 3}  # as in opsverify/demo/environment.yml
ZONE = dt.datetime.now().astimezone().tzinfo


def shelve(folder: Path, times: list[dt.datetime]) -> str:
    """Empty files named and dated like the demo's; the set's glob."""
    folder.mkdir()
    for when in times:
        path = folder / history.name_of(when)
        path.write_bytes(b"x")
        os.utime(path, (when.timestamp(), when.timestamp()))
    return str(folder / "app-*.sql.gz")


@pytest.mark.parametrize("month", range(1, 13))
@pytest.mark.parametrize("day", [1, 2, 15, 28])
def test_the_history_fills_every_slot_and_keeps_nothing_older(tmp_path: Path, month: int, day: int) -> None:
    anchor = dt.datetime(2027, month, day, 2, 30, tzinfo=ZONE)
    result = retention(backup(shelve(tmp_path / "b", history.schedule(anchor)), retention=POLICY))
    assert result.status is Status.PASSED, result.reason


@pytest.mark.parametrize("month", [1, 3, 4, 12])
def test_the_gap_break_empties_one_monthly_slot(tmp_path: Path, month: int) -> None:
    anchor = dt.datetime(2027, month, 10, 2, 30, tzinfo=ZONE)
    gap = history._months_back(anchor.date(), history.GAP_MONTHS_BACK)
    times = [t for t in history.schedule(anchor) if (t.year, t.month) != (gap.year, gap.month)]
    result = retention(backup(shelve(tmp_path / "b", times), retention=POLICY))
    assert result.status is Status.FAILED
    assert result.reason.endswith(f"no monthly backup for {gap:%Y-%m} (1 of 12 monthly slots empty)")
