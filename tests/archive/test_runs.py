"""Run folders: layout in UTC, labels from marker expressions, unique under contention."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from opsverify.archive import new_run_folder, run_label

NOON = datetime(2026, 11, 23, 12, 0, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(("expression", "label"), [
    ("daily", "daily"),
    ("smoke", "smoke"),
    ("daily and not slow", "daily-and-not-slow"),
    ("(daily or weekly) and not slow", "daily-or-weekly-and-not-slow"),
    ("", "all"),
    ("   ", "all"),
    ("../../etc/passwd", "etc-passwd"),
])
def test_label_from_marker_expression(expression: str, label: str) -> None:
    """A marker expression becomes a short, folder-safe label; no expression means all."""
    assert run_label(expression) == label


def test_long_expression_is_shortened() -> None:
    """A very long expression is cut to 60 characters without a dangling dash."""
    label = run_label(" or ".join(f"marker{i}" for i in range(30)))
    assert len(label) <= 60
    assert not label.endswith("-")


def test_folder_layout_uses_utc_month_and_timestamp(tmp_path: Path) -> None:
    """A run started just after midnight at UTC+2 files under the previous UTC day and month."""
    started = datetime(2026, 12, 1, 0, 30, 5, tzinfo=timezone(timedelta(hours=2)))
    run = new_run_folder(tmp_path, "demo", "daily and not slow", started)
    assert run == tmp_path / "demo" / "2026-11" / "20261130T223005Z-daily-and-not-slow"
    assert run.is_dir()
    assert list(run.iterdir()) == []


def test_two_runs_in_the_same_second_get_different_folders(tmp_path: Path) -> None:
    """Runs that start in the same second never share a folder."""
    first, second, third = (new_run_folder(tmp_path, "demo", "smoke", NOON) for _ in range(3))
    assert first.name == "20261123T120000Z-smoke"
    assert second.name == "20261123T120000Z-smoke-2"
    assert third.name == "20261123T120000Z-smoke-3"


def test_naive_start_time_is_refused(tmp_path: Path) -> None:
    """A start time without a timezone cannot be placed in UTC, so it is refused."""
    with pytest.raises(ValueError, match="timezone-aware"):
        new_run_folder(tmp_path, "demo", "daily", datetime(2026, 11, 23, 9, 0))


@pytest.mark.parametrize("environment", ["", "..", "prod/eu", "../elsewhere"])
def test_environment_that_is_not_a_folder_name_is_refused(tmp_path: Path,
                                                          environment: str) -> None:
    """An environment name that would leave or split the archive's layout is refused."""
    with pytest.raises(ValueError, match="cannot be a folder name"):
        new_run_folder(tmp_path, environment, "daily", NOON)
