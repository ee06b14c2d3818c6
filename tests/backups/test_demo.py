"""The checklist against the built-in demo: every backup check passes, and each backup break fails its check."""

from __future__ import annotations

from pathlib import Path

import pytest

from opsverify import demo
from tests.plugin.conftest import Checklist, run_checklist

TESTS = ("test_backup_is_fresh", "test_backup_size", "test_backup_checksum", "test_backup_integrity",
         "test_backup_job_log", "test_backup_retention", "test_backup_restores")
WEEKLY = {"test_backup_retention", "test_backup_restores"}


def checklist(tmp_path: Path, *breaks: str, marks: str = "daily or weekly") -> Checklist:
    """verify/test_backups.py run by pytest against a demo started with these breaks."""
    with demo.start(tmp_path / "demo", breaks) as running:
        return run_checklist(tmp_path / "reports", "verify/test_backups.py", "-m", marks,
                             f"--env={running.env_path}")


def outcomes(run: Checklist) -> dict[str, str]:
    """test name -> outcome in the run's record."""
    return {test: run.check(test, "app-nightly")["outcome"] for test in TESTS}


@pytest.mark.parametrize("cadence", ["daily", "weekly"])
def test_the_healthy_demo_passes_every_backup_check_of_each_cadence(tmp_path: Path, cadence: str) -> None:
    run = checklist(tmp_path, marks=cadence)
    assert run.code == 0, run.out
    ran = {c["nodeid"].split("::")[1].split("[")[0] for c in run.record["checks"]}
    assert ran == (WEEKLY if cadence == "weekly" else set(TESTS) - WEEKLY)
    assert {c["outcome"] for c in run.record["checks"]} == {"passed"}


@pytest.mark.parametrize("name, failing, reason", [
    ("stale-backup", {"test_backup_is_fresh", "test_backup_job_log"}, "is 49h; limit 26h"),
    ("truncated-backup", {"test_backup_integrity", "test_backup_restores"}, "the gzip data ends early"),
    ("checksum-mismatch", {"test_backup_checksum"}, "does not match app-"),
    ("retention-gap", {"test_backup_retention"}, "(1 of 12 monthly slots empty)"),
    ("empty-restore", {"test_backup_restores"}, "products has 0 rows after the restore; expected at least 10"),
])
def test_each_backup_break_fails_exactly_its_checks(tmp_path: Path, name: str, failing: set[str], reason: str) -> None:
    run = checklist(tmp_path, name)
    assert run.code == 1
    found = outcomes(run)
    assert {test for test, outcome in found.items() if outcome != "passed"} == failing, found
    assert all(reason in run.check(test, "app-nightly")["reason"] for test in failing
               if test != "test_backup_restores" or name == "empty-restore")
