"""Freshness (RPO) and size: the newest file's age, its minimum size and how much it shrank."""

from __future__ import annotations

import datetime as dt
import os

from opsverify.checks.backup.freshness import freshness
from opsverify.checks.backup.size import size
from opsverify.result import Status
from tests.backups.conftest import Shelf, backup

HOUR = dt.timedelta(hours=1)


def history(shelf: Shelf, newest_age: dt.timedelta = HOUR, newest_size: int = 10_000) -> None:
    """Five nightly backups of 10 kB and a newest one of the given age and size."""
    for day in range(1, 6):
        shelf.put(f"db-2026-01-0{day}.sql.gz", os.urandom(10_000), newest_age + dt.timedelta(days=day))
    shelf.put("db-2026-01-09.sql.gz", os.urandom(newest_size), newest_age)


def test_a_fresh_set_passes_and_names_its_newest_file(shelf: Shelf) -> None:
    history(shelf)
    result = freshness(backup(shelf.glob()))
    assert result.status is Status.PASSED, result.reason
    assert result.reason == "age of newest backup db-2026-01-09.sql.gz is 60m; limit 26h"
    assert result.evidence["files"] == 6


def test_a_stale_set_fails_with_the_file_and_its_age(shelf: Shelf) -> None:
    history(shelf, newest_age=dt.timedelta(hours=49))
    result = freshness(backup(shelf.glob()))
    assert result.status is Status.FAILED
    assert result.reason == "age of newest backup db-2026-01-09.sql.gz is 49h; limit 26h"


def test_past_the_warning_level_only_warns(shelf: Shelf) -> None:
    history(shelf, newest_age=dt.timedelta(hours=20))
    result = freshness(backup(shelf.glob(), warn_max_age="12h"))
    assert result.status is Status.WARNING
    assert result.reason == "age of newest backup db-2026-01-09.sql.gz is 20h; warning level 12h"


def test_no_file_at_all_fails_naming_the_pattern(shelf: Shelf) -> None:
    result = freshness(backup(shelf.glob("db-*.dump")))
    assert result.status is Status.FAILED
    assert result.reason == f"no backup file matches {shelf.folder}/db-*.dump"


def test_sidecars_are_not_backups(shelf: Shelf) -> None:
    shelf.put("db-old.gz", b"x", dt.timedelta(days=3), sidecar=False)
    shelf.put("db-new.gz.sha256", b"x", HOUR, sidecar=False)
    result = freshness(backup(shelf.glob()))
    assert result.status is Status.FAILED and "db-old.gz is 72h" in result.reason


def test_a_normal_size_passes_both_limits(shelf: Shelf) -> None:
    history(shelf, newest_size=9_500)
    result = size(backup(shelf.glob(), min_size="5KB", max_shrink="20%"))
    assert result.status is Status.PASSED, result.reason
    assert result.reason == ("newest backup db-2026-01-09.sql.gz is 9.3KiB; limit 5KB | shrink of "
                             "db-2026-01-09.sql.gz (9.3KiB) against the median of the previous 5 (9.8KiB) is 5%; "
                             "limit 20%")


def test_a_too_small_backup_fails(shelf: Shelf) -> None:
    history(shelf, newest_size=3_000)
    result = size(backup(shelf.glob(), min_size="5KB"))
    assert result.status is Status.FAILED
    assert result.reason == "newest backup db-2026-01-09.sql.gz is 2.9KiB; limit 5KB"


def test_a_shrunk_backup_fails_against_the_median_of_the_previous_five(shelf: Shelf) -> None:
    history(shelf, newest_size=6_000)
    result = size(backup(shelf.glob(), min_size="1KB", max_shrink="20%"))
    assert result.status is Status.FAILED
    assert result.reason == ("shrink of db-2026-01-09.sql.gz (5.9KiB) against the median of the previous 5 "
                             "(9.8KiB) is 40%; limit 20%")
    assert result.evidence["previous_bytes"] == [10_000] * 5


def test_a_first_backup_has_nothing_to_shrink_from(shelf: Shelf) -> None:
    shelf.put("db-1.gz", b"x" * 100)
    result = size(backup(shelf.glob(), max_shrink="20%"))
    assert result.status is Status.SKIPPED
    assert result.reason == "db-1.gz is the only backup: no earlier one to compare its size with"
