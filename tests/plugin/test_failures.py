"""Each health check, broken in its own way on the real demo, fails the run with a readable reason."""

from __future__ import annotations

import pytest

from tests.plugin.conftest import run_checklist

BROKEN = [
    ("health-503", "test_endpoint_responds", "api-health", "failed", "answered 503"),
    ("degraded", "test_endpoint_responds", "api-health", "failed", "down"),
    ("slow", "test_endpoint_responds", "home", "failed", "limit 1s"),
    ("slow", "test_endpoint_latency_sla", "api-health", "failed", "p95"),
    ("hang", "test_endpoint_responds", "api-health", "error", "no answer within 5s"),
    ("expired-cert", "test_tls_certificate", "demo-site", "failed", "expired"),
    ("wrong-host-cert", "test_tls_certificate", "demo-site", "failed", "match"),
    ("missing-table", "test_database_tables_exist", "app", "failed", "orders"),
]


@pytest.mark.parametrize(("broken_demo", "test", "item", "outcome", "reason"), BROKEN, indirect=["broken_demo"],
                         ids=[f"{b[0]}-{b[1]}" for b in BROKEN])
def test_a_broken_demo_fails_the_matching_check(broken_demo, reports, test, item, outcome, reason):
    run = run_checklist(reports, "-m", "daily", f"--env={broken_demo.env_path}")
    assert run.code == 1, run.out
    entry = run.check(test, item)
    assert entry["outcome"] == outcome and reason in entry["reason"], entry
    assert "report: " in run.out and (run.run_dir / "report.html").exists()


@pytest.mark.parametrize("broken_demo", ["hang"], indirect=True)
def test_a_hanging_target_costs_only_its_timeout(broken_demo, reports):
    run = run_checklist(reports, "-m", "daily", f"--env={broken_demo.env_path}")
    record = run.record
    assert record["duration_s"] < 5 + 4, record["duration_s"]
    healthy = [c for c in record["checks"] if c["item"] not in ("api-health", "lb-health")]
    assert healthy and all(c["outcome"] == "passed" for c in healthy)


def test_an_unreachable_target_is_an_error_and_the_run_still_reports(tmp_path, reports):
    env = tmp_path / "gone.yml"
    env.write_text("environment: gone\ndefaults: {timeout: 2s}\nendpoints:\n"
                   "  - {name: nothing-here, url: 'http://127.0.0.1:9/health'}\n"
                   "databases:\n  - {name: no-pg, url: 'postgresql+psycopg://u:p@127.0.0.1:9/x'}\n")
    run = run_checklist(reports, "-m", "daily", f"--env={env}")
    assert run.code == 1
    for test, item in (("test_endpoint_responds", "nothing-here"), ("test_database_connects", "no-pg")):
        entry = run.check(test, item)
        assert entry["outcome"] == "error" and "refused" in entry["reason"], entry
    assert "2 error" in run.out
