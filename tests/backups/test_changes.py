"""Backups around changes: the pre-update backup (in the smoke gate) and the backup after a live file changed."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from opsverify.checks.backup.changes import after_change, before_release
from opsverify.result import Status
from tests.backups.conftest import Shelf, backup, context
from tests.plugin.conftest import run_checklist



def now() -> dt.datetime:
    """This moment (the shelf dates its files from the same clock, at the moment it writes them)."""
    return dt.datetime.now(dt.timezone.utc)


def clock(path: Path | str) -> str:
    """A path's own change time as the reasons print it."""
    return f"{dt.datetime.fromtimestamp(os.lstat(path).st_mtime, dt.timezone.utc):%Y-%m-%d %H:%M} UTC"


def deploy(tmp_path: Path, ago: dt.timedelta) -> Path:
    """A deployer-style `current` symlink to a release folder, switched `ago` before now."""
    release = tmp_path / "releases" / "42"
    release.mkdir(parents=True)
    current = tmp_path / "current"
    current.symlink_to(release)
    when = (now() - ago).timestamp()
    os.utime(current, (when, when), follow_symlinks=False)
    return current


def plan(current: Path, within: str = "2h", **fields) -> dict:
    """A before_release entry for the symlink."""
    return {"path": str(current), "within": within, **fields}


def test_a_backup_an_hour_before_the_release_passes(shelf: Shelf, tmp_path: Path) -> None:
    shelf.put("db-pre-deploy.sql.gz", b"x", dt.timedelta(hours=3))
    current = deploy(tmp_path, dt.timedelta(hours=2))
    result = before_release(backup(shelf.glob(), before_release=plan(current)))
    assert result.status is Status.PASSED, result.reason
    assert result.reason.startswith("newest backup before the release, db-pre-deploy.sql.gz, was written 60m before ")
    assert result.reason.endswith("UTC; limit 2h")


def test_a_release_with_only_last_nights_backup_before_it_fails(shelf: Shelf, tmp_path: Path) -> None:
    shelf.put("db-nightly.sql.gz", b"x", dt.timedelta(hours=9))
    shelf.put("db-after.sql.gz", b"x", dt.timedelta(minutes=10))  # after the deploy: does not count
    current = deploy(tmp_path, dt.timedelta(hours=2))
    result = before_release(backup(shelf.glob(), before_release=plan(current)))
    assert result.status is Status.FAILED
    assert result.reason == (f"newest backup before the release, db-nightly.sql.gz, was written 7h before {current} "
                             f"changed {clock(current)}; limit 2h")


def test_the_symlink_time_counts_not_its_target(shelf: Shelf, tmp_path: Path) -> None:
    shelf.put("db-nightly.sql.gz", b"x", dt.timedelta(hours=9))
    current = deploy(tmp_path, dt.timedelta(hours=8))
    os.utime(current.resolve(), None)  # the release folder itself was written just now
    assert before_release(backup(shelf.glob(), before_release=plan(current))).status is Status.PASSED


def test_a_missing_release_path_cannot_be_checked(shelf: Shelf, tmp_path: Path) -> None:
    shelf.put("db-1.sql.gz", b"x")
    result = before_release(backup(shelf.glob(), before_release=plan(tmp_path / "nowhere")))
    assert result.status is Status.ERROR
    assert result.reason == f"{tmp_path / 'nowhere'} does not exist"


def test_a_release_older_than_every_kept_backup_cannot_be_judged(shelf: Shelf, tmp_path: Path) -> None:
    shelf.put("db-1.sql.gz", b"x", dt.timedelta(hours=1))
    current = deploy(tmp_path, dt.timedelta(days=40))
    result = before_release(backup(shelf.glob(), before_release=plan(current)))
    assert result.status is Status.ERROR
    assert result.reason.endswith("the one before it is no longer kept, so it cannot be judged")


def test_the_release_is_read_on_its_own_host(shelf: Shelf, tmp_path: Path) -> None:
    shelf.put("db-nightly.sql.gz", b"x", dt.timedelta(hours=9))
    current = deploy(tmp_path, dt.timedelta(hours=2))
    hosts = [{"name": "web1", "target": "local://", "timeout": "10s"}]
    result = before_release(backup(shelf.glob(), before_release=plan(current, host="web1")),
                            context=context(hosts=hosts, backups=[]))
    assert result.status is Status.FAILED
    assert "was written 7h before " + f"{current} on web1 changed" in result.reason


@pytest.mark.parametrize("marker", ["smoke", "daily"])
def test_the_check_is_in_the_post_deploy_gate_whatever_the_severity(tmp_path: Path, marker: str) -> None:
    env = tmp_path / "env.yml"
    env.write_text(f"environment: gate\nbackups:\n  - name: db\n    path: {tmp_path}/db-*\n    max_age: 26h\n"
                   f"    severity: P3\n    before_release: {{path: {tmp_path}/current, within: 2h}}\n")
    run = run_checklist(tmp_path / "reports", "-m", marker, "--collect-only", "-q", f"--env={env}")
    assert run.code == 0, run.out
    assert ("test_backup_before_release[db]" in run.out) is True
    assert ("test_backup_is_fresh[db]" in run.out) is (marker == "daily")


def config(tmp_path: Path, ages: dict[str, dt.timedelta]) -> list[str]:
    """Live configuration files (and a folder holding one) last changed `ages` ago."""
    paths = []
    for name, age in ages.items():
        path = tmp_path / "live" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
        when = (now() - age).timestamp()
        os.utime(path, (when, when))
        if "/" in name:  # the folder's own time changed when the file was created in it
            os.utime(path.parent, (when, when))
        paths.append(str(path if "/" not in name else path.parent))
    return paths


def test_config_changed_after_the_newest_backup_fails_naming_the_file(shelf: Shelf, tmp_path: Path) -> None:
    shelf.put("cfg-1.tar.gz", b"x", dt.timedelta(hours=5))
    env, nginx = config(tmp_path, {".env": dt.timedelta(hours=2), "nginx/site.conf": dt.timedelta(days=3)})
    result = after_change(backup(shelf.glob("cfg-*"), after_change={"paths": [env, nginx], "within": "1h"}))
    assert result.status is Status.FAILED
    assert result.reason == (f"1 of 2 paths changed after the newest backup cfg-1.tar.gz "
                             f"({clock(shelf.folder / 'cfg-1.tar.gz')}) and over 1h ago: {env} changed {clock(env)}")


def test_a_change_inside_a_folder_counts_and_the_grace_lets_the_copy_job_run(shelf: Shelf, tmp_path: Path) -> None:
    shelf.put("cfg-1.tar.gz", b"x", dt.timedelta(hours=5))
    (nginx,) = config(tmp_path, {"nginx/site.conf": dt.timedelta(minutes=20)})
    late = after_change(backup(shelf.glob("cfg-*"), after_change={"paths": [nginx]}))
    assert late.status is Status.FAILED and f"{nginx} changed " in late.reason
    assert after_change(backup(shelf.glob("cfg-*"), after_change={"paths": [nginx], "within": "1h"})).status \
        is Status.PASSED


def test_config_backed_up_after_its_last_change_passes(shelf: Shelf, tmp_path: Path) -> None:
    shelf.put("cfg-1.tar.gz", b"x", dt.timedelta(hours=1))
    paths = config(tmp_path, {".env": dt.timedelta(hours=2), "nginx/site.conf": dt.timedelta(days=3)})
    result = after_change(backup(shelf.glob("cfg-*"), after_change={"paths": paths}))
    assert result.status is Status.PASSED, result.reason
    assert result.reason.startswith("all 2 paths last changed before the newest backup cfg-1.tar.gz (")


def test_live_files_are_read_on_their_host(shelf: Shelf, tmp_path: Path) -> None:
    shelf.put("cfg-1.tar.gz", b"x", dt.timedelta(hours=5))
    env, nginx = config(tmp_path, {".env": dt.timedelta(hours=2), "nginx/site.conf": dt.timedelta(minutes=3)})
    hosts = [{"name": "web1", "target": "local://", "timeout": "10s"}]
    result = after_change(backup(shelf.glob("cfg-*"), after_change={"paths": [env, nginx], "host": "web1"}),
                          context=context(hosts=hosts, backups=[]))
    assert result.status is Status.FAILED
    assert result.reason.startswith("2 of 2 paths on web1 changed after the newest backup cfg-1.tar.gz (")
