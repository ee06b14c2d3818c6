"""`opsverify archive export`: the runs of a period, the whole manifest and the verdict, checkable by an auditor."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from datetime import timedelta

from tests.archive.helpers import START, build
from tests.plugin.conftest import ROOT


def export(reports, out, start, end):
    return subprocess.run([sys.executable, "-m", "opsverify.cli", "archive", "export", "--reports", str(reports),
                           "--from", start, "--to", end, "--out", str(out)], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)


def test_the_zip_holds_the_period_the_manifest_and_a_passing_verification(tmp_path):
    reports = tmp_path / "reports"
    runs = build(reports, 3)
    done = export(reports, tmp_path / "audit.zip", "2026-11-01", "2026-11-30")
    assert done.returncode == 0, done.stderr
    assert "wrote " in done.stdout and "3 runs from 2026-11-01 to 2026-11-30" in done.stdout
    with zipfile.ZipFile(tmp_path / "audit.zip") as z:
        names = set(z.namelist())
        assert {"reports/manifest.jsonl", "reports/index.html", "VERIFICATION.txt", "export.json", "README.txt",
                "SHA256SUMS"} <= names
        for run in runs:
            assert f"reports/{run.relative_to(reports).as_posix()}/report.html" in names
        assert z.read("VERIFICATION.txt").decode().startswith("archive OK: 3 entries")
        summary = json.loads(z.read("export.json"))
        assert [r["seq"] for r in summary["runs"]] == [1, 2, 3] and summary["verification"]["ok"] is True
        for line in z.read("SHA256SUMS").decode().splitlines():
            digest, name = line.split("  ", 1)
            assert hashlib.sha256(z.read(name)).hexdigest() == digest, name
        z.extractall(tmp_path / "unzipped")
    verify = subprocess.run([sys.executable, "-m", "opsverify.cli", "archive", "verify", "--reports",
                             str(tmp_path / "unzipped" / "reports")], cwd=ROOT, capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout  # every run of the archive was in the period


def test_a_period_selects_runs_by_their_start_date(tmp_path):
    reports = tmp_path / "reports"
    build(reports, 2)
    day = (START + timedelta(days=1)).date().isoformat()
    done = export(reports, tmp_path / "none.zip", day, day)
    assert done.returncode == 0 and "0 runs" in done.stdout
    with zipfile.ZipFile(tmp_path / "none.zip") as z:
        assert not [n for n in z.namelist() if n.endswith("report.html")]


def test_an_archive_that_does_not_verify_exports_with_its_problems_and_exits_1(tmp_path):
    reports = tmp_path / "reports"
    runs = build(reports, 2)
    (runs[0] / "report.html").write_text("<html>edited later</html>")
    done = export(reports, tmp_path / "audit.zip", "2026-11-23", "2026-11-23")
    assert done.returncode == 1 and "archive NOT OK" in done.stdout
    with zipfile.ZipFile(tmp_path / "audit.zip") as z:
        assert "report.html was changed" in z.read("VERIFICATION.txt").decode()
        assert json.loads(z.read("export.json"))["verification"]["ok"] is False


def test_to_before_from_is_a_usage_error(tmp_path):
    reports = tmp_path / "reports"
    build(reports, 1)
    done = export(reports, tmp_path / "x.zip", "2026-11-30", "2026-11-01")
    assert done.returncode == 2 and "before --from" in done.stderr
