"""A live folder and its real-time copy: every file changed longer ago than `max_lag` is in the copy."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import tempfile
import tracemalloc
from pathlib import Path

import pytest

from opsverify.checks.backup.copies import copy_in_step
from opsverify.result import Status
from opsverify.spec.models.backups import Backup
from tests.backups.conftest import backup, context
from tests.plugin.conftest import run_checklist
from tests.spec.helpers import at, one
from tests.support.fixtures import require

AGES = {"a.jpg": dt.timedelta(hours=3), "2026/b.jpg": dt.timedelta(hours=2), "2026/11/c.pdf": dt.timedelta(days=40)}


def write(root: Path, ages: dict[str, dt.timedelta]) -> None:
    """Files under root, each last changed `age` ago."""
    for name, age in ages.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(name.encode())
        when = (dt.datetime.now(dt.timezone.utc) - age).timestamp()
        os.utime(path, (when, when))


@pytest.fixture
def live(tmp_path: Path) -> Path:
    """An uploads folder and, beside it, an up-to-date copy made as rsync -a makes it (mtimes kept)."""
    folder = tmp_path / "uploads"
    write(folder, AGES)
    shutil.copytree(folder, tmp_path / "copy", copy_function=shutil.copy2)
    return folder


def mirror(live: Path, copy: Path | str | None = None, **fields: str) -> Backup:
    """A backup set carrying one copy of the live folder (to `copy` beside it unless given), max_lag 1h."""
    entry = {"from": str(live), "to": str(copy or live.parent / "copy"), "max_lag": "1h", **fields}
    return backup(str(live.parent / "backups" / "*.tar.gz"), copies=[entry])


def test_a_copy_in_step_passes(live: Path) -> None:
    result = copy_in_step(mirror(live))
    assert result.status is Status.PASSED, result.reason
    assert result.reason == f"all 3 files changed over 1h ago are copied from {live} to {live.parent / 'copy'} " \
                            "(0 newer pending)"


def test_a_file_missing_from_the_copy_fails_with_its_name_and_age(live: Path) -> None:
    (live.parent / "copy" / "2026" / "b.jpg").unlink()
    result = copy_in_step(mirror(live))
    assert result.status is Status.FAILED
    assert result.reason == f"1 file not copied: uploads/2026/b.jpg changed 2h ago (limit 1h; {live} to " \
                            f"{live.parent / 'copy'})"
    assert (result.value, result.evidence["settled"]) == (1, 3)


def test_a_named_copy_is_named_in_the_reason(live: Path) -> None:
    (live.parent / "copy" / "2026" / "b.jpg").unlink()
    result = copy_in_step(mirror(live, name="uploads-mirror"))
    assert result.reason == f"1 file not copied: uploads/2026/b.jpg changed 2h ago (limit 1h; copy uploads-mirror: " \
                            f"{live} to {live.parent / 'copy'})"


def test_a_copy_older_than_the_live_file_fails(live: Path) -> None:
    write(live, {"a.jpg": dt.timedelta(hours=2)})  # rewritten after the copy was made: same size, newer
    (live / "2026" / "11" / "c.pdf").write_bytes(b"grown since the copy")
    os.utime(live / "2026" / "11" / "c.pdf", (0, 0))  # an old time kept (tar -x): the size tells it apart
    result = copy_in_step(mirror(live))
    assert result.status is Status.FAILED
    assert result.reason.startswith("2 copies out of date: uploads/2026/11/c.pdf changed ")
    assert result.reason.endswith(f" ago, uploads/a.jpg changed 2h ago (limit 1h; {live} to {live.parent / 'copy'})")


def test_a_file_changed_within_the_lag_is_pending(live: Path) -> None:
    write(live, {"new.jpg": dt.timedelta(minutes=5), "a.jpg": dt.timedelta(minutes=20)})
    result = copy_in_step(mirror(live))
    assert result.status is Status.PASSED, result.reason
    assert result.reason.endswith("(2 newer pending)")
    assert copy_in_step(mirror(live, max_lag="10m")).reason.startswith("1 copy out of date: uploads/a.jpg changed 20m")


def test_the_longest_waiting_are_named_first_and_the_rest_counted(live: Path) -> None:
    write(live, {f"old-{hours}.jpg": dt.timedelta(hours=hours) for hours in (2, 9, 5, 30, 4)})
    result = copy_in_step(mirror(live))
    assert result.reason.startswith("5 files not copied: uploads/old-30.jpg changed 30h ago, uploads/old-9.jpg "
                                    "changed 9h ago, uploads/old-5.jpg changed 5h ago and 2 more (limit 1h; ")


def test_each_copy_of_a_set_is_judged(live: Path, tmp_path: Path) -> None:
    shutil.copytree(live, tmp_path / "second", copy_function=shutil.copy2)
    (tmp_path / "second" / "a.jpg").unlink()
    copies = [{"from": str(live), "to": str(tmp_path / to), "max_lag": "1h"} for to in ("copy", "second")]
    result = copy_in_step(backup(str(tmp_path / "backups" / "*"), copies=copies))
    assert (result.status, result.reason) == (Status.FAILED, "1 file not copied: uploads/a.jpg changed 3h ago "
                                                             f"(limit 1h; {live} to {tmp_path / 'second'})")


def test_symlinks_are_not_followed(live: Path, tmp_path: Path) -> None:
    write(tmp_path / "elsewhere", {"x/big.bin": dt.timedelta(days=2), "y.bin": dt.timedelta(days=2)})
    (live / "linked-folder").symlink_to(tmp_path / "elsewhere" / "x")
    (live / "linked-file").symlink_to(tmp_path / "elsewhere" / "y.bin")
    result = copy_in_step(mirror(live))
    assert result.status is Status.PASSED, result.reason
    assert result.evidence["settled"] == 3


def test_a_missing_copy_folder_cannot_be_checked(live: Path, tmp_path: Path) -> None:
    result = copy_in_step(mirror(live, tmp_path / "nowhere"))
    assert result.status is Status.ERROR
    assert result.reason == f"listing {tmp_path / 'nowhere'} failed: no such folder"


def test_a_live_folder_the_user_cannot_read_cannot_be_checked(live: Path) -> None:
    require(None if shutil.which("sudo") else "sudo is not installed: the check cannot run as another user here")
    shared = Path(tempfile.mkdtemp(prefix="opsv-copies-"))
    try:
        shared.chmod(0o755)
        (shared / "private").mkdir(mode=0o700)
        hosts = [{"name": "web1", "target": "local://?sudo=true&sudo_user=nobody", "timeout": "10s"}]
        result = copy_in_step(mirror(shared, live.parent / "copy", host="web1"), context=context(hosts=hosts))
    finally:
        shutil.rmtree(shared)
    assert result.status is Status.ERROR  # find quotes the path as the locale does: 'x' or ‘x’
    assert re.fullmatch(f"listing {shared} failed on web1: find: .{shared}/private.: Permission denied", result.reason)


def test_the_live_folder_and_the_copy_are_read_on_their_hosts(live: Path, target: str) -> None:
    hosts = [{"name": name, "target": target, "timeout": "10s"} for name in ("web1", "store1")]
    item = backup(str(live.parent / "backups" / "*.tar.gz"), host="store1",
                  copies=[{"from": str(live), "to": str(live.parent / "copy"), "host": "web1", "max_lag": "1h"}])
    env = context(hosts=hosts, backups=[])
    write(live, {"odd name\nwith a line break.jpg": dt.timedelta(hours=4)})
    assert copy_in_step(item, context=env).status is Status.FAILED
    (live / "odd name\nwith a line break.jpg").unlink()
    result = copy_in_step(item, context=env)
    assert result.status is Status.PASSED, result.reason
    assert result.reason.startswith(f"all 3 files changed over 1h ago are copied from {live} on web1 to ")
    (live.parent / "copy" / "a.jpg").unlink()
    result = copy_in_step(item, context=env)
    assert result.reason == f"1 file not copied: uploads/a.jpg changed 3h ago (limit 1h; {live} on web1 to " \
                            f"{live.parent / 'copy'} on store1)"
    shutil.rmtree(live.parent / "copy")
    result = copy_in_step(item, context=env)
    assert (result.status, result.reason) == (Status.ERROR, f"listing {live.parent / 'copy'} failed on store1: "
                                                            "no such folder")


def test_an_unreachable_host_cannot_be_checked(live: Path) -> None:
    hosts = [{"name": "web1", "target": "ssh://nobody@127.0.0.1:1?timeout=2", "timeout": "10s"}]
    result = copy_in_step(mirror(live, host="web1"), context=context(hosts=hosts))
    assert result.status is Status.ERROR and result.reason.startswith("cannot reach web1: ")


def test_a_copy_naming_an_unknown_host_is_a_spec_error() -> None:
    problem = one("environment: x\nhosts:\n  - name: web1\nbackups:\n  - name: uploads\n    path: /b/*.tar\n"
                  "    max_age: 26h\n    copies:\n      - {from: /srv/up, to: /b/up, host: web2, max_lag: 1h}\n")
    at(problem, 9, "backups[0].copies[0].host", "no hosts entry named 'web2'", "web1")


def test_the_check_runs_daily_with_the_item_as_its_id(tmp_path: Path) -> None:
    env = tmp_path / "env.yml"
    env.write_text(f"environment: t\nbackups:\n  - name: uploads\n    path: {tmp_path}/up-*\n    max_age: 26h\n"
                   f"    copies: [{{from: {tmp_path}/live, to: {tmp_path}/copy, max_lag: 1h}}]\n")
    run = run_checklist(tmp_path / "reports", "-m", "daily", "--collect-only", "-q", f"--env={env}")
    assert run.code == 0, run.out
    assert "test_backup_copy_in_step[uploads]" in run.out


def test_a_big_tree_is_walked_in_bounded_memory(tmp_path: Path) -> None:
    live, copy = tmp_path / "uploads", tmp_path / "copy"
    for folder in range(100):
        (live / f"{folder:03}").mkdir(parents=True)
        for name in range(100):
            (live / f"{folder:03}" / f"{name}.jpg").write_bytes(b"x")
    old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2)).timestamp()
    subprocess.run(["find", str(live), "-exec", "touch", "-d", f"@{old}", "{}", "+"], check=True)
    subprocess.run(["cp", "-a", str(live), str(copy)], check=True)
    shutil.rmtree(copy / "050")
    tracemalloc.start()
    try:
        result = copy_in_step(mirror(live))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.reason.startswith("100 files not copied: uploads/050/")
    assert peak < 256 << 10, f"peak {peak} bytes for 10000 files"  # a list of them all would take megabytes
