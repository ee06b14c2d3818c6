"""Old files under a folder on a real host (local:// and over a real sshd), with modification times set by the test."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from opsverify.checks.host import OnHost
from opsverify.checks.host.oldfiles import old_files
from opsverify.result import Status
from tests.hosts.helpers import host_item
from tests.spec.helpers import at, one
from tests.support.fixtures import require

DAY = 86400.0


def aged(path: Path, days: float, size: int = 10) -> Path:
    """A file of `size` bytes last modified `days` ago."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    stamp = time.time() - days * DAY
    os.utime(path, (stamp, stamp))
    return path


def entry(target: str, **spec: object) -> OnHost:
    """The host's one `old_files:` entry."""
    host = host_item(target, old_files=[spec])
    return OnHost(host, host.old_files[0])


def test_files_older_than_max_age_fail_naming_the_oldest(tmp_path: Path, target: str) -> None:
    aged(tmp_path / "php-upload-1", 1)
    aged(tmp_path / "exports" / "report 2026-11.csv", 12, size=2048)
    aged(tmp_path / "exports" / "report 2026-10.csv", 9, size=1024)
    result = old_files(entry(target, path=str(tmp_path), max_age="7d"))
    assert result.status is Status.FAILED
    assert result.reason == (f"2 files under {tmp_path} on web1 are older than 7d (3.0KiB in all); the oldest, "
                             f"{tmp_path}/exports/report 2026-11.csv, is 12d old")
    assert (result.limit, result.evidence["files"], result.evidence["older_than_max_age"]) == ("7d", 3, 2)
    assert entry(target, path=str(tmp_path), max_age="7d").name == f"web1:{tmp_path}"  # the test id


def test_a_folder_of_young_files_passes(tmp_path: Path, target: str) -> None:
    aged(tmp_path / "sess_1", 2)
    aged(tmp_path / "cache" / "sess_2", 0.5)
    result = old_files(entry(target, path=str(tmp_path), max_age="7d"))
    assert (result.status, result.reason) == (
        Status.PASSED, f"no file under {tmp_path} on web1 is older than 7d (2 files, the oldest 48h old)")


def test_an_empty_folder_passes(tmp_path: Path) -> None:
    result = old_files(entry("local://", path=str(tmp_path), max_age="7d"))
    assert (result.status, result.reason) == (
        Status.PASSED, f"no file under {tmp_path} on web1 is older than 7d (no files)")


def test_past_the_warning_age_warns(tmp_path: Path) -> None:
    aged(tmp_path / "a.tmp", 5)
    result = old_files(entry("local://", path=str(tmp_path), max_age="7d", warn_max_age="3d"))
    assert (result.status, result.reason) == (
        Status.WARNING, f"1 file under {tmp_path} on web1 is older than 3d (warning level; limit 7d); the oldest, "
                        f"{tmp_path}/a.tmp, is 5d old")


def test_min_size_counts_only_large_files(tmp_path: Path) -> None:
    aged(tmp_path / "small.log", 30, size=100)
    aged(tmp_path / "dump.sql", 20, size=2_000_000)
    result = old_files(entry("local://", path=str(tmp_path), max_age="7d", min_size="1MB"))
    assert (result.status, result.reason) == (
        Status.FAILED, f"1 file of at least 1MB under {tmp_path} on web1 is older than 7d (1.9MiB in all); the "
                       f"oldest, {tmp_path}/dump.sql, is 20d old")
    exactly = old_files(entry("local://", path=str(tmp_path), max_age="7d", min_size="2000000B"))
    assert exactly.status is Status.FAILED  # at least: a file of exactly min_size counts
    bigger = old_files(entry("local://", path=str(tmp_path), max_age="7d", min_size="2000001B"))
    assert bigger.status is Status.PASSED


def test_a_missing_folder_is_an_error(tmp_path: Path, target: str) -> None:
    result = old_files(entry(target, path=str(tmp_path / "gone"), max_age="7d"))
    assert (result.status, result.reason) == (
        Status.ERROR, f"cannot search {tmp_path}/gone on web1: No such file or directory")


@pytest.fixture
def shared() -> Iterator[Path]:
    """A folder everyone may enter (like /tmp), holding a subfolder only root may read."""
    folder = Path(tempfile.mkdtemp(prefix="opsv-oldfiles-"))
    folder.chmod(0o755)
    (folder / "private").mkdir(mode=0o700)
    try:
        yield folder
    finally:
        shutil.rmtree(folder)


def test_a_folder_the_user_cannot_read_turns_a_pass_into_a_warning(shared: Path) -> None:
    require(None if shutil.which("sudo") else "sudo is not installed: the check cannot run as another user here")
    aged(shared / "private" / "old.tmp", 30)
    aged(shared / "young.tmp", 1)
    (shared / "young.tmp").chmod(0o644)
    as_nobody = "local://?sudo=true&sudo_user=nobody"
    result = old_files(entry(as_nobody, path=str(shared), max_age="7d"))
    assert (result.status, result.reason) == (
        Status.WARNING, f"no file under {shared} on web1 is older than 7d (1 file, the oldest 24h old); 1 folder "
                        "could not be read (their files were not seen; connect as root with ?sudo=true): "
                        f"{shared}/private")
    assert old_files(entry("local://", path=str(shared), max_age="7d")).status is Status.FAILED


def test_the_same_folder_twice_is_a_spec_error() -> None:
    problem = one("environment: x\nhosts:\n  - name: web1\n    old_files:\n      - {path: /tmp, max_age: 7d}\n"
                  "      - {path: /tmp, max_age: 1d}\n")
    at(problem, 4, "hosts[0].old_files", "/tmp is listed more than once")


def test_a_misspelt_key_is_a_spec_error_with_a_suggestion() -> None:
    problem = one("environment: x\nhosts:\n  - name: web1\n    old_files: [{path: /tmp, max_agee: 7d}]\n")
    at(problem, 4, "hosts[0].old_files[0].max_agee", "did you mean 'max_age'?")


def test_aged_by_access_time_as_a_find_atime_cleanup_sees_them(tmp_path: Path, target: str) -> None:
    path = aged(tmp_path / "upload.part", 1)
    now = time.time()
    os.utime(path, (now - 9 * DAY, now - DAY))  # read 9 days ago, written yesterday
    by_access = old_files(entry(target, path=str(tmp_path), max_age="7d", age_by="accessed"))
    assert (by_access.status, by_access.reason) == (
        Status.FAILED, f"1 file under {tmp_path} on web1 is older than 7d by access time (10B in all); the oldest, "
                       f"{path}, is 9d old")
    assert old_files(entry(target, path=str(tmp_path), max_age="7d")).status is Status.PASSED
