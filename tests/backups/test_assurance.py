"""No false assurance in the backup checks: stale, unreadable or undeclared evidence is `error` or `failed`,
never passed or skipped."""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Callable
from typing import Any

import pytest

from opsverify.checks.backup.freshness import freshness
from opsverify.checks.backup.integrity import integrity
from opsverify.checks.backup.joblog import job_log
from opsverify.result import Result, Status
from tests.backups.conftest import Shelf, backup

AGE_RECIPIENT = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
HOURS = dt.timedelta(hours=1)


def sealed() -> bytes:
    """A dump's first line encrypted with age to a recipient whose key nobody here has."""
    return subprocess.run(["age", "-r", AGE_RECIPIENT], input=b"-- PostgreSQL database dump\n", capture_output=True,
                          check=True).stdout


def stale_log(shelf: Shelf) -> Result:
    """The job's log last said "backup completed" three days ago."""
    shelf.put("db-1.sql", b"x", 2 * HOURS)
    log = shelf.folder / "backup.log"
    log.write_text(f"{dt.datetime.now().astimezone() - 72 * HOURS:%Y-%m-%d %H:%M:%S} backup completed\n")
    return job_log(backup(shelf.glob(), log={"path": str(log), "success_pattern": "completed", "max_age": "26h"}))


def after_put(check: Callable[..., Result], name: str, data: bytes | Callable[[], bytes], age: dt.timedelta = HOURS,
              **keys: Any) -> Callable[[Shelf], Result]:
    """`check` of the set once `name` (with `data`, or what it makes) is its newest file, `age` old."""
    def run(shelf: Shelf) -> Result:
        shelf.put(name, data() if callable(data) else data, age)
        return check(backup(shelf.glob(), **keys))
    return run


CASES: dict[str, tuple[Callable[[Shelf], Result], Status, str]] = {
    "newest-backup-too-old": (after_put(freshness, "db-1.sql", b"x", 49 * HOURS), Status.FAILED, "49h; limit 26h"),
    "job-log-says-nothing-recent": (stale_log, Status.FAILED, "limit 26h"),
    "compression-not-readable-here": (after_put(integrity, "db-1.sql.zst", b"\x28\xb5\x2f\xfd" + b"\0" * 64,
                                                format="pg_dump"),
                                      Status.ERROR, "zstd-compressed, which opsverify cannot read"),
    "encrypted-but-undeclared": (after_put(integrity, "db-1.sql.gz", sealed, format="pg_dump"),
                                 Status.FAILED, "age-encrypted, but the item declares no encryption"),
    "encrypted-without-a-key": (after_put(integrity, "db-1.sql.age", sealed, format="pg_dump", encryption="age"),
                                Status.ERROR, "no identity_file or key is given"),
    "text-of-no-declared-format": (after_put(integrity, "db-1.txt", b"a=1\n", format="file"),
                                   Status.ERROR, "declare its format"),
}


@pytest.mark.parametrize("case", CASES)
def test_stale_unreadable_or_undeclared_evidence_is_never_a_pass(case: str, shelf: Shelf) -> None:
    check, status, said = CASES[case]
    result = check(shelf)
    assert result.status is status, result.reason
    assert said in result.reason
