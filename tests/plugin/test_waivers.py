"""Waivers and the severity gate on real checklist runs: waived, expired, unmatched, --fail-on, min_score."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.plugin.conftest import run_checklist
from tests.support.browser import dom, screenshot

RUNBOOK = "test_document_reviewed[*runbook.md]"


def _variant(demo, tmp_path: Path, extra: str = "", runbook_severity: str | None = None) -> Path:
    """The demo's environment file with more YAML appended (and the runbook document's severity set)."""
    text = demo.env_path.read_text()
    if runbook_severity:
        old = "      max_age: 90d\n      controls: ['ISO27001:A.5.37']\n"
        assert old in text
        text = text.replace(old, old + f"      severity: {runbook_severity}\n")
    path = tmp_path / "variant.yml"
    path.write_text(text + extra)
    return path


def _waiver(expires: str, check: str = RUNBOOK, name: str = "") -> str:
    named = f"\n    name: {name}" if name else ""
    return (f"\nwaivers:\n  - check: '{check}'{named}\n    reason: Runbook rewrite tracked in OPS-42\n"
            f"    approved_by: cto@example.com\n    expires: {expires}\n")


@pytest.mark.parametrize("broken_demo", ["stale-document"], indirect=True)
def test_a_waived_failure_leaves_exit_0_and_shows_as_waived(broken_demo, reports, tmp_path):
    run = run_checklist(reports, "-m", "monthly", f"--env={_variant(broken_demo, tmp_path, _waiver('2099-12-31'))}")
    assert run.code == 0, run.out
    runbook = next(c for c in run.record["checks"] if c["nodeid"].endswith("runbook.md]"))
    assert runbook["outcome"] == "waived" and "time since review is 200d; limit 90d" in runbook["reason"]
    assert runbook["waiver"] == {"name": None, "check": RUNBOOK, "reason": "Runbook rewrite tracked in OPS-42",
                                 "approved_by": "cto@example.com", "expires": "2099-12-31"}
    assert "1 waived" in run.out and "OPS-42 (approved by cto@example.com, expires 2099-12-31)" in run.out
    assert run.record["counts"]["waived"] == 1 and run.record["waivers"][0]["state"] == "active"
    compliance = run.record["compliance"]
    control = next(c for c in compliance["controls"] if c["control"] == "ISO27001:A.5.37")
    assert control["status"] == "waived" and compliance["status"] == "passed", compliance
    report = run.run_dir / "report.html"
    page = dom(report)
    for text in ("Compliance", "ISO27001:A.5.37", "SOC2:CC6.2", "compliance score 100% (6 of 6 controls passed)",
                 "WAIVED: Runbook rewrite tracked in OPS-42", "Waivers", "active"):
        assert text in page, text
    assert screenshot(report, tmp_path / "waived.png").stat().st_size > 20_000


@pytest.mark.parametrize("broken_demo", ["stale-document"], indirect=True)
def test_an_expired_waiver_is_ignored_and_flagged(broken_demo, reports, tmp_path):
    waiver = _waiver('2020-01-31', name="runbook-rewrite")
    run = run_checklist(reports, "-m", "monthly", f"--env={_variant(broken_demo, tmp_path, waiver)}")
    assert run.code == 1, run.out
    runbook = next(c for c in run.record["checks"] if c["nodeid"].endswith("runbook.md]"))
    assert runbook["outcome"] == "failed" and runbook["waiver_expired"]["expires"] == "2020-01-31"
    assert runbook["waiver_expired"]["name"] == "runbook-rewrite"
    start = run.out.index(f"warning: waiver runbook-rewrite ('{RUNBOOK}') expired on 2020-01-31")
    assert start < run.out.index("verify/test_compliance.py")  # said before the checks ran
    assert run.record["waivers"][0]["state"] == "expired"


@pytest.mark.parametrize("broken_demo", [[]], indirect=True, ids=["healthy"])
def test_a_waiver_that_matches_no_test_is_a_warning_at_start(broken_demo, reports, tmp_path):
    run = run_checklist(reports, "-m", "monthly",
                        f"--env={_variant(broken_demo, tmp_path, _waiver('2099-01-01', 'test_gone[old-item]'))}")
    assert run.code == 0, run.out
    warning = run.out.index("opsverify: warning: waiver 'test_gone[old-item]' matches no test in this run")
    assert warning < run.out.index("verify/test_compliance.py")
    assert run.record["waivers"][0]["state"] == "unmatched"


@pytest.mark.parametrize("broken_demo", ["stale-document"], indirect=True)
def test_fail_on_p1_keeps_exit_0_for_a_p3_failure_and_still_reports_it(broken_demo, reports, tmp_path):
    env = _variant(broken_demo, tmp_path, runbook_severity="P3")
    gated = run_checklist(reports / "gated", "-m", "monthly", f"--env={env}", "--fail-on", "P1")
    assert gated.code == 0, gated.out
    runbook = next(c for c in gated.record["checks"] if c["nodeid"].endswith("runbook.md]"))
    assert runbook["outcome"] == "failed" and runbook["severity"] == "P3" and runbook["below_fail_on"] is True
    assert "1 failed" in gated.out and "P3: 1 failed" in gated.out
    assert "exit status 0: the only failure is less severe than --fail-on P1" in gated.out
    assert gated.record["exit_status"] == 0 and gated.record["fail_on"] == "P1"
    assert run_checklist(reports / "plain", "-m", "monthly", f"--env={env}").code == 1


@pytest.mark.parametrize("broken_demo", ["stale-document"], indirect=True)
def test_a_compliance_score_below_min_score_fails_the_run_at_its_own_severity(broken_demo, reports, tmp_path):
    run = run_checklist(reports, "-m", "monthly", f"--env={_variant(broken_demo, tmp_path, runbook_severity='P3')}",
                        "--fail-on=P2")
    assert run.code == 1, run.out
    assert "exit status 1: compliance score 85.71% (6 of 7 controls passed); min_score 90%" in run.out
    assert run.record["compliance"]["status"] == "failed" and run.record["exit_status"] == 1
