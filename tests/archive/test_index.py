"""reports/index.html: runs by environment and cadence, pass rate per month, measured values, in Chromium."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from opsverify.archive import index
from opsverify.archive.runs import new_run_folder
from tests.plugin.conftest import broken_demo, reports, run_checklist  # noqa: F401 - fixtures
from tests.support.browser import dom, screenshot
from tests.support.disk import fill, tmpfs

UTC = dt.timezone.utc


def _record(reports, environment, label, started, counts, checks=(), exit_status=0):
    folder = new_run_folder(reports, environment, label, started)
    (folder / "results.json").write_text(json.dumps({
        "environment": environment, "label": label, "marker_expression": label, "exit_status": exit_status,
        "started": started.strftime("%Y-%m-%dT%H:%M:%SZ"), "counts": counts, "checks": list(checks)}))
    return folder


def _latency(value):
    return {"nodeid": "verify/test_health.py::test_endpoint_latency_sla[api]", "value": value, "unit": "s",
            "outcome": "passed"}


def test_the_page_groups_runs_charts_pass_rates_and_links_relatively(tmp_path):
    reports = tmp_path / "reports"
    _record(reports, "production", "daily", dt.datetime(2026, 3, 2, 7, tzinfo=UTC), {"passed": 9, "failed": 1},
            [_latency(0.21)], exit_status=1)
    _record(reports, "production", "daily", dt.datetime(2026, 4, 1, 7, tzinfo=UTC), {"passed": 10, "skipped": 2},
            [_latency(0.34)])
    _record(reports, "production", "weekly", dt.datetime(2026, 4, 6, 6, tzinfo=UTC), {"passed": 4})
    _record(reports, "staging", "daily", dt.datetime(2026, 4, 1, 8, tzinfo=UTC), {"error": 1})
    page = index.build(reports, trend="test_endpoint_latency_sla[*]").read_text()
    assert page.index('id="env-production"') < page.index('id="env-staging"')
    production = page[page.index('id="env-production"'):page.index('id="env-staging"')]
    assert production.index("<h4>daily") < production.index("<h4>weekly")
    assert 'href="production/2026-04/20260401T070000Z-daily/report.html"' in production
    assert "<title>2026-03: 90.0%</title>" in production and "<title>2026-04: 100.0%</title>" in production
    assert "test_endpoint_latency_sla[api]" in production and "0.34 s" in production
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing fetched from anywhere


def test_an_index_that_does_not_fit_on_the_disk_leaves_no_temporary_file(tmp_path):
    with tmpfs(tmp_path / "disk", "1m") as disk:
        reports = disk / "reports"
        _record(reports, "production", "daily", dt.datetime(2026, 4, 1, 7, tzinfo=UTC), {"passed": 10})
        filler = fill(disk)
        with pytest.raises(OSError, match="No space left on device"):
            index.build(reports)
        assert sorted(p.name for p in reports.iterdir()) == ["production"]  # no .index.html.*.tmp, no index.html
        filler.unlink()
        assert index.build(reports).is_file()


def test_no_runs_yet_still_makes_a_page(tmp_path):
    (tmp_path / "reports").mkdir()
    assert "No run has been archived yet." in index.build(tmp_path / "reports").read_text()


@pytest.mark.parametrize("broken_demo", ["stale-document"], indirect=True)
def test_index_and_report_render_in_chromium(broken_demo, reports, tmp_path):
    assert run_checklist(reports, "-m", "monthly", f"--env={broken_demo.env_path}").code == 1
    second = run_checklist(reports, "-m", "monthly", f"--env={broken_demo.env_path}")
    assert "index: " in second.out
    page = dom(reports / "index.html")
    for text in ("opsverify archive", "2 archived runs in 1 environment", "demo", "monthly", "Pass rate per month",
                 "demo: checks passed per month", "Measured values over time", "test_access_review[app]", "report"):
        assert text in page, text
    assert page.count('<td class="failed">failed</td>') == 2
    assert screenshot(reports / "index.html", tmp_path / "index.png").stat().st_size > 15_000
    report = next(reports.glob("demo/*/*/report.html"))
    shown = dom(report)
    assert "Compliance" in shown and "ISO27001:A.5.37" in shown and "failed" in shown
    assert screenshot(report, tmp_path / "report.png").stat().st_size > 20_000
