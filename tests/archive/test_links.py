"""A link planted in the archive is never followed: a run stops before any check naming it, nothing is written
outside the archive, and `archive verify` reports every link; an export never carries what a link points at."""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from opsverify.archive import ManifestError, append, verify
from opsverify.archive.export import export
from opsverify.archive.manifest import MANIFEST
from opsverify.archive.nofollow import Planted
from tests.archive.helpers import build, record_run
from tests.plugin.conftest import run_checklist, sqlite_environment, started_checklist
from tests.support.net import hanging_server

MONTH = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m")


def _victim(outside: Path) -> Path:
    """A file outside the archive that must stay as it is."""
    victim = outside / "victim.txt"
    victim.write_text("untouched\n")
    return victim


def _folder(outside: Path) -> Path:
    """A folder outside the archive that must stay empty."""
    folder = outside / "folder"
    folder.mkdir()
    return folder


# where the link is planted (relative to the archive) -> what it points at, made in the folder outside
PLANTED: dict[str, Callable[[Path], Path]] = {
    "manifest.jsonl": _victim,
    ".manifest.lock": lambda outside: outside / "created-by-lock",  # O_CREAT through it would create this
    "index.html": _victim,
    "demo": _folder,
    f"demo/{MONTH}": _folder,
    "demo/uptime": _folder,
}


def _plant(reports: Path, outside: Path, where: str) -> tuple[Path, Path]:
    """Make the link `where` in the archive and its target outside; both paths."""
    outside.mkdir()
    target = PLANTED[where](outside)
    link = reports / where
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target)
    return link, target


def _outside_is_untouched(outside: Path) -> bool:
    """Only what the test put there: an unchanged victim file and an empty folder."""
    found = {p.relative_to(outside).as_posix(): p for p in outside.rglob("*")}
    return set(found) <= {"victim.txt", "folder"} and all(
        p.read_text() == "untouched\n" if p.is_file() else not any(p.iterdir()) for p in found.values())


@pytest.mark.parametrize("where", list(PLANTED))
def test_a_planted_link_stops_the_run_before_any_check(tmp_path, where):
    reports = tmp_path / "reports"
    link, target = _plant(reports, tmp_path / "outside", where)
    run = run_checklist(reports, "-m", "smoke")
    assert run.code == 4, run.out
    assert (f"ERROR: opsverify: the archive is unsafe: {link} is a symlink to {target}; the archive never follows "
            "a link it did not create: remove it") in run.out
    assert "Traceback" not in run.out and "passed" not in run.out
    assert _outside_is_untouched(tmp_path / "outside")
    assert not list(reports.rglob("results.json"))


def test_a_link_swapped_in_during_the_run_is_not_followed(tmp_path):
    reports, outside = tmp_path / "reports", tmp_path / "outside"
    with hanging_server() as silent:
        running = started_checklist(reports, "-m", "daily", f"--env={sqlite_environment(tmp_path, silent)}")
        (month,) = reports.glob("shop/*")
        month.rename(outside)  # while the silent check waits its 3 s
        month.symlink_to(outside)
        out, _ = running.communicate(timeout=60)
    assert running.returncode == 6, out
    (run,) = outside.iterdir()
    assert (f"opsverify: the run could not be archived: {month} is a symlink to {outside}; the archive never "
            "follows a link it did not create: remove it (writing results.json)") in out
    assert "Remove the link, then mark it" in out and "Traceback" not in out
    assert not list(run.iterdir())  # nothing was written through the link


def test_append_never_writes_through_a_manifest_link(tmp_path):
    reports = tmp_path / "reports"
    run = record_run(reports, 1)
    outside = tmp_path / "outside.jsonl"
    (reports / MANIFEST).rename(outside)
    before = outside.read_bytes()
    (reports / MANIFEST).symlink_to(outside)
    with pytest.raises(Planted, match="manifest.jsonl is a symlink to"):
        append(reports, run, summary={})
    assert outside.read_bytes() == before


def test_append_refuses_a_run_folder_holding_a_link(tmp_path):
    reports = tmp_path / "reports"
    run = record_run(reports, 1)
    secret = tmp_path / "secret.txt"
    secret.write_text("not for the archive")
    (run / "evidence.txt").symlink_to(secret)
    with pytest.raises(Planted, match="evidence.txt is a symlink to"):
        append(reports, run, summary={})


def test_verify_reports_every_link_and_never_reads_through_one(tmp_path):
    reports = tmp_path / "reports"
    first, second = build(reports, 2)
    secret = tmp_path / "secret.txt"
    secret.write_text("a secret outside")
    (first / "report.html").unlink()
    (first / "report.html").symlink_to(secret)  # a recorded file swapped for a link
    (second / "extra.html").symlink_to(secret)  # a link added to a recorded run
    (reports / "demo" / "uptime").symlink_to(tmp_path)  # a link elsewhere in the archive
    result = verify(reports)
    assert not result.ok and result.first_bad_seq == 1
    assert result.problems == [
        f"entry 1 ({first.relative_to(reports).as_posix()}): report.html is a symlink to {secret}, not the "
        "recorded file",
        f"entry 2 ({second.relative_to(reports).as_posix()}): extra.html was added after the run was recorded "
        f"(extra.html is a symlink to {secret})",
        f"demo/uptime is a symlink to {tmp_path}: the archive holds no links, pipes or devices",
    ]


def test_verify_of_a_manifest_that_is_a_link_is_not_ok(tmp_path):
    """The review's case: entries appended to a manifest copy outside, through a link, and verify said OK."""
    reports = tmp_path / "reports"
    build(reports, 1)
    outside = tmp_path / "copy.jsonl"
    (reports / MANIFEST).rename(outside)
    (reports / MANIFEST).symlink_to(outside)
    result = verify(reports)
    assert not result.ok
    assert f"manifest.jsonl is a symlink to {outside}: the archive holds no links, pipes or devices" in result.problems


def test_a_fifo_in_a_run_folder_is_reported_not_read(tmp_path):
    reports = tmp_path / "reports"
    (run,) = build(reports, 1)
    os.mkfifo(run / "pipe")  # reading it would hang verify
    result = verify(reports)
    assert not result.ok and any("pipe was added after the run was recorded (pipe is not a plain file" in p
                                 for p in result.problems)


def test_an_export_never_carries_what_a_link_points_at(tmp_path):
    reports = tmp_path / "reports"
    (run,) = build(reports, 1)
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-OUTSIDE-THE-ARCHIVE")
    (run / "evidence.txt").symlink_to(secret)
    done = export(reports, dt.date(2026, 11, 1), dt.date(2026, 11, 30), tmp_path / "audit.zip")
    assert not done.verification.ok
    with zipfile.ZipFile(tmp_path / "audit.zip") as archive:
        assert not any(name.endswith("evidence.txt") for name in archive.namelist())
        assert all(b"SECRET-OUTSIDE" not in archive.read(name) for name in archive.namelist())


def test_a_truncated_manifest_is_still_refused_with_a_clear_error(tmp_path):
    reports = tmp_path / "reports"
    build(reports, 1)
    (reports / MANIFEST).write_text("root:x:0:0:root:/root:/bin/bash\n")  # the review's passwd-like file
    with pytest.raises(ManifestError, match="is not a complete manifest entry"):
        record_run(reports, 2)
