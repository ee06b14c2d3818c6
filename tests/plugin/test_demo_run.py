"""The README's first command: the daily checklist against the built-in demo, and its archive."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.plugin.conftest import ROOT, run_checklist


def test_daily_run_against_the_demo_passes_and_archives_one_run(reports):
    run = run_checklist(reports, "-m", "daily")
    assert run.code == 0, run.out
    lines = [line for line in run.out.splitlines() if line.strip()]
    assert "BUILT-IN DEMO" in lines[0] and "BUILT-IN DEMO" in lines[-1]
    assert {p.name for p in run.run_dir.iterdir()} >= {"report.html", "results.json", "junit.xml"}
    record = run.record
    assert record["environment"] == "demo" and record["demo"] is True
    assert record["marker_expression"] == "daily" and len(record["environment_sha256"]) == 64
    assert record["counts"]["failed"] == 0 and record["counts"]["error"] == 0 and record["counts"]["passed"] >= 6
    assert all(c["cadence"] == "daily" for c in record["checks"])
    health = run.check("test_endpoint_responds", "api-health")
    assert health["outcome"] == "passed" and health["severity"] == "P1" and health["area"] == "health"
    assert "BUILT-IN DEMO" in (run.run_dir / "report.html").read_text()
    assert "report: " in run.out and "P1:" in run.out


def test_archive_verifies_and_catches_a_changed_byte(reports):
    assert run_checklist(reports, "-m", "daily").code == 0
    verify = [sys.executable, "-m", "opsverify.cli", "archive", "verify", "--reports", str(reports)]
    assert subprocess.run(verify, cwd=ROOT, capture_output=True).returncode == 0
    report = next(reports.glob("*/*/*/report.html"))
    data = bytearray(report.read_bytes())
    data[len(data) // 2] ^= 1
    report.write_bytes(bytes(data))
    broken = subprocess.run(verify, cwd=ROOT, capture_output=True, text=True)
    assert broken.returncode == 1 and "report.html" in broken.stdout


def test_smoke_gate_runs_only_smoke_and_p1_items(reports):
    run = run_checklist(reports, "-m", "smoke")
    assert run.code == 0, run.out
    names = {c["item"] for c in run.record["checks"]}
    assert names == {"api-health"}, names
    assert json.loads((run.run_dir / "results.json").read_text())["label"] == "smoke"


def test_weekly_run_checks_tls_protocols(reports):
    run = run_checklist(reports, "-m", "weekly")
    assert run.code == 0, run.out
    assert run.check("test_tls_protocols", "demo-site")["outcome"] == "passed"
