"""The archived HTML report renders in a real browser and shows what an auditor needs."""

from __future__ import annotations

import pytest

from tests.plugin.conftest import run_checklist
from tests.support.browser import dom, screenshot


@pytest.mark.parametrize("broken_demo", ["degraded"], indirect=True)
def test_report_renders_with_environment_outcomes_and_reasons(broken_demo, reports, tmp_path):
    run = run_checklist(reports, "-m", "daily", f"--env={broken_demo.env_path}")
    report = run.run_dir / "report.html"
    page = dom(report)
    counts = run.record["counts"]
    for text in ("opsverify · demo · daily", "Environment file SHA-256", run.record["environment_sha256"],
                 "test_endpoint_responds[api-health]", "JSON key checks.db is 'down'; expected 'up'",
                 "P1", "2 Failed", f"{counts['passed'] + counts['warning']} Passed"):
        assert text in page, text
    png = screenshot(report, tmp_path / "report.png")
    assert png.stat().st_size > 20_000
