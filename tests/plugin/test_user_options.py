"""The user's pytest options keep their meaning in a checklist run, and the archive still keeps its own copies."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from opsverify.plugin.archiving import EMPTY
from tests.plugin.conftest import run_checklist, verify_archive


def test_a_ci_run_leaves_junitxml_and_html_where_asked_and_the_archive_keeps_copies(reports, tmp_path):
    junit, html = tmp_path / "out" / "results.xml", tmp_path / "out" / "report.html"
    run = run_checklist(reports, "-m", "daily", f"--junitxml={junit}", f"--html={html}")
    assert run.code == 0, run.out
    checks = run.record["checks"]
    cases = ET.parse(junit).getroot().iter("testcase")
    assert sorted(case.get("name") for case in cases) == sorted(c["nodeid"].rsplit("::", 1)[-1] for c in checks)
    assert len(checks) >= 50
    page = html.read_text()
    assert all(c["nodeid"].rsplit("::", 1)[-1] in page for c in checks)
    assert (run.run_dir / "junit.xml").read_bytes() == junit.read_bytes()
    assert (run.run_dir / "report.html").read_bytes() == html.read_bytes()
    assert run.record["report_files"] == ["junit.xml", "report.html"]
    assert f"generated xml file: {junit}" in run.out and f"Generated html report: {html.as_uri()}" in run.out
    assert verify_archive(reports).returncode == 0


@pytest.mark.parametrize("broken_demo", ["health-503"], indirect=True)
@pytest.mark.parametrize(("option", "failures"), [("-x", 1), ("--maxfail=2", 2)])
def test_x_and_maxfail_stop_the_run_and_the_rest_is_recorded_as_not_finished(broken_demo, reports, option, failures):
    run = run_checklist(reports, "-m", "daily", f"--env={broken_demo.env_path}", option)
    assert run.code == 1, run.out
    assert f"stopping after {failures} failures" in run.out
    counts = run.record["counts"]
    assert counts["failed"] == failures and counts["error"] > 10, counts
    unfinished = [c for c in run.record["checks"] if c["outcome"] == "error"]
    assert all(c["reason"] == "the test did not finish" for c in unfinished)
    assert verify_archive(reports).returncode == 0


def test_k_selects_the_tests_of_one_item(reports):
    run = run_checklist(reports, "-m", "daily", "-k", "api-health")
    assert run.code == 0, run.out
    assert {c["item"] for c in run.record["checks"]} == {"api-health"}
    assert run.record["keyword_expression"] == "api-health"


@pytest.mark.parametrize(("plugin", "missing", "kept"), [("html", "report.html", "junit.xml"),
                                                         ("junitxml", "junit.xml", "report.html")])
def test_a_disabled_report_plugin_runs_and_archives_without_its_file(reports, plugin, missing, kept):
    run = run_checklist(reports, "-m", "smoke", "-p", f"no:{plugin}")
    assert run.code == 0, run.out
    assert "Traceback" not in run.out and "INTERNALERROR" not in run.out
    assert sorted(p.name for p in run.run_dir.iterdir()) == sorted([kept, "results.json"])
    note = f"{missing} is not archived: pytest's {plugin} plugin is disabled (-p no:{plugin})"
    assert note in run.record["notes"] and f"note: {note}" in run.out
    assert run.record["report_files"] == [kept]
    assert verify_archive(reports).returncode == 0


@pytest.mark.parametrize("broken_demo", ["health-503"], indirect=True)
def test_lf_runs_only_the_checks_that_failed_last_time(broken_demo, reports, tmp_path):
    cache = f"cache_dir={tmp_path / 'cache'}"
    first = run_checklist(reports, "-m", "daily", f"--env={broken_demo.env_path}", "-o", cache)
    failed = {c["nodeid"] for c in first.record["checks"] if c["outcome"] in ("failed", "error")}
    assert first.code == 1 and 0 < len(failed) < len(first.record["checks"]), first.out
    again = run_checklist(tmp_path / "again", "-m", "daily", f"--env={broken_demo.env_path}", "-o", cache, "--lf")
    assert again.code == 1, again.out
    assert {c["nodeid"] for c in again.record["checks"]} == failed


def test_a_run_that_selects_no_check_is_archived_flagged_as_empty(reports):
    run = run_checklist(reports, "-m", "daily", "-k", "no-such-item")
    assert run.code == 5, run.out
    assert run.record["counts"] == {o: 0 for o in ("passed", "failed", "warning", "error", "skipped", "waived")}
    assert EMPTY in run.record["notes"] and f"note: {EMPTY}" in run.out
    assert "<td class='empty'>empty</td>" in (reports / "index.html").read_text()
    assert verify_archive(reports).returncode == 0
