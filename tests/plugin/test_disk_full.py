"""A full, small or read-only disk under the archive: a clear line and its own exit status, never a traceback or a
half-written file; what a full disk leaves is named by `archive verify` and can be quarantined."""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from opsverify.archive.runs import new_run_folder
from tests.plugin.conftest import (
    ROOT, checklist, run_checklist, sqlite_environment, started_checklist, verify_archive,
)
from tests.support.disk import fill, tmpfs
from tests.support.net import hanging_server

ARCHIVE_FAILED = 6


def leftovers(reports: Path) -> list[str]:
    """Temporary and empty files anywhere in the archive (an atomic writer leaves neither)."""
    return [str(p) for p in reports.rglob("*") if p.is_file() and (p.name.endswith(".tmp") or not p.stat().st_size)
            and p.name != ".manifest.lock"]


def test_a_disk_too_small_for_a_run_stops_it_before_any_check(tmp_path):
    with tmpfs(tmp_path / "disk", "1m") as disk:
        run = run_checklist(disk / "reports", "-m", "daily", f"--env={sqlite_environment(tmp_path)}")
        assert run.code == ARCHIVE_FAILED, run.out
        assert (f"opsverify: the archive {disk / 'reports'} has 1.0MiB free and a run needs at least 2.0MiB: "
                "nothing was checked") in run.out
        assert "Traceback" not in run.out and "passed" not in run.out
        assert not list((disk / "reports").rglob("*"))


def test_a_disk_that_cannot_hold_twice_the_last_run_stops_the_next(tmp_path):
    with tmpfs(tmp_path / "disk", "8m") as disk:
        last = new_run_folder(disk / "reports", "shop", "daily", datetime(2026, 11, 2, 7, tzinfo=timezone.utc))
        (last / "report.html").write_bytes(b"x" * 3 * 1024 * 1024)  # 3 MiB: the next run wants 6 MiB, 5 are free
        run = run_checklist(disk / "reports", "-m", "daily", f"--env={sqlite_environment(tmp_path)}")
        assert run.code == ARCHIVE_FAILED, run.out
        assert "a run needs 6.0MiB (2 x its last run shop/2026-11/20261102T070000Z-daily, 3.0MiB)" in run.out
        assert "passed" not in run.out


@pytest.mark.parametrize(("leave", "failed", "kept"), [(0, "results.json", []),
                                                        (16 * 1024, "report.html", ["junit.xml", "results.json"])],
                         ids=["nothing-left", "room-for-the-record"])
def test_a_disk_filled_during_the_run_ends_it_with_one_line_and_verify_names_what_is_missing(
        tmp_path, leave, failed, kept):
    with tmpfs(tmp_path / "disk", "4m") as disk, hanging_server() as silent:
        reports = disk / "reports"
        running = started_checklist(reports, "-m", "daily", f"--env={sqlite_environment(tmp_path, silent)}")
        filler = fill(disk, leave)  # the silent check takes 3 s more
        out, _ = running.communicate(timeout=60)
        assert running.returncode == ARCHIVE_FAILED, out
        (folder,) = reports.glob("shop/*/*")
        run = folder.relative_to(reports).as_posix()
        assert (f"opsverify: the run could not be archived: No space left on device (writing {failed}); {folder} "
                f"holds {', '.join(kept) or 'nothing'} and has no manifest entry. Make room, then mark it: "
                f"opsverify archive quarantine {run} --reason '...' (exit status 6)") in out
        assert "Traceback" not in out and "INTERNALERROR" not in out
        assert not leftovers(reports) and sorted(p.name for p in folder.iterdir()) == kept
        if kept:
            assert json.loads((folder / "results.json").read_text())["counts"]["passed"] == 1

        found = verify_archive(reports)
        assert found.returncode == 1
        missing = "results.json is missing; junit.xml is missing; report.html is missing" if not kept \
            else "report.html is missing"
        assert f"  {run}: this run folder is not in the manifest (its entry was removed or never written, or it " \
               f"was added by hand): {missing}; if its run did not finish, mark it with `opsverify archive " \
               f"quarantine {run} --reason ...`" in found.stdout

        filler.unlink()
        marked = subprocess.run([sys.executable, "-m", "opsverify.cli", "archive", "quarantine", run,
                                 "--reason", "disk full during the run (INC-1234)", "--reports", str(reports)],
                                cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert marked.returncode == 0, marked.stderr
        again = run_checklist(reports, "-m", "daily", f"--env={sqlite_environment(tmp_path, silent)}")
        assert again.code == 1, again.out  # the silent endpoint is an error; the run is archived
        found = verify_archive(reports)
        assert found.returncode == 0, found.stdout
        assert found.stdout.startswith("archive OK: 2 entries, chain intact, every recorded file matches; "
                                       "1 run quarantined (below)")
        assert (f"quarantined: entry 1 ({run}) marked unfinished by " in found.stdout
                and f": disk full during the run (INC-1234) (found: {missing})" in found.stdout)


def test_a_report_cut_short_by_a_file_size_limit_is_left_out_and_the_run_archived(tmp_path):
    """RLIMIT_FSIZE (ulimit -f) of 16 KiB: pytest-html's ~35 KiB report cannot be written whole, the record can."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (16 * 1024, 16 * 1024))

    reports = tmp_path / "reports"
    run = run_checklist(reports, "-m", "daily", f"--env={sqlite_environment(tmp_path)}", preexec_fn=limit)
    assert run.code == ARCHIVE_FAILED, run.out
    assert ("opsverify: a report could not be written (File too large); the run is archived without it "
            "(exit status 6)") in run.out
    assert "Traceback" not in run.out and "INTERNALERROR" not in run.out
    assert sorted(p.name for p in run.run_dir.iterdir()) == ["junit.xml", "results.json"]
    record = run.record
    assert record["report_files"] == ["junit.xml"] and record["counts"]["passed"] == 1
    assert ("report.html is cut short (16.0KiB, it does not end with </html>): it is not archived (File too large)"
            in record["notes"])
    assert verify_archive(reports).returncode == 0


def test_a_read_only_archive_is_a_usage_error(tmp_path):
    with tmpfs(tmp_path / "disk", "1m", read_only=True) as disk:
        run = run_checklist(disk, "-m", "daily", f"--env={sqlite_environment(tmp_path)}")
    assert run.code == 4, run.out
    assert f"ERROR: opsverify: the archive folder {disk} cannot be written: Read-only file system" in run.out
    assert "Traceback" not in run.out and "INTERNALERROR" not in run.out and "passed" not in run.out


def test_reports_naming_a_file_is_a_usage_error(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    run = run_checklist(tmp_path / "a-file", "-m", "daily", f"--env={sqlite_environment(tmp_path)}")
    assert run.code == 4, run.out
    assert run.out.count("\n") <= 3 and "Traceback" not in run.out and "INTERNALERROR" not in run.out
    assert (f"ERROR: opsverify: the archive folder {tmp_path / 'a-file'} is a file, not a folder: name a folder "
            "with --reports=DIR") in run.out


def test_an_archive_folder_without_write_permission_is_a_usage_error(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    command = checklist(locked, "-m", "daily", f"--env={sqlite_environment(tmp_path)}")
    if os.geteuid() == 0:  # root writes anyway unless CAP_DAC_OVERRIDE is dropped
        if not shutil.which("setpriv"):
            pytest.skip("running as root, and setpriv (to drop CAP_DAC_OVERRIDE) is missing")
        drop = "-dac_override,-dac_read_search"
        command["args"] = ["setpriv", f"--inh-caps={drop}", f"--bounding-set={drop}", *command["args"]]
    done = subprocess.run(**command, capture_output=True, timeout=120)
    assert done.returncode == 4, done.stdout + done.stderr
    assert f"ERROR: opsverify: the archive folder {locked} cannot be written: Permission denied" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout and not list(locked.iterdir())
