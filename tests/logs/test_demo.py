"""The checklist against the built-in demo: hosts, logs and metrics pass; the error-spike break fails the logs."""

from __future__ import annotations

import pytest

from tests.plugin.conftest import run_checklist

MINE = ("test_host_", "test_log_", "test_metric_")


def test_the_demo_passes_host_log_and_metric_checks_daily_and_weekly(reports) -> None:
    run = run_checklist(reports, "-m", "daily or weekly", "-k", "host or log or metric")
    assert run.code == 0, run.out
    checks = {(c["test"], c["item"]): c["outcome"] for c in run.record["checks"] if c["test"].startswith(MINE)}
    assert checks == {
        ("test_host_disk_used", "demo-host"): "passed", ("test_host_memory_used", "demo-host"): "passed",
        ("test_host_load", "demo-host"): "passed", ("test_host_sockets_listening", "demo-host"): "passed",
        ("test_host_file_permissions", "demo-host:app-db"): "passed",
        ("test_host_no_world_writable", "demo-host"): "passed",
        ("test_log_matches", "demo-host:app-errors"): "passed", ("test_log_repeats", "demo-host:app-errors"): "passed",
        ("test_metric_within_bounds", "paid-order-share"): "passed"}
    assert run.check("test_host_file_permissions", "demo-host:app-db")["cadence"] == "weekly"


@pytest.mark.parametrize("broken_demo", ["error-spike"], indirect=True)
def test_the_error_spike_break_fails_the_app_errors_log_checks(broken_demo, reports) -> None:
    run = run_checklist(reports, "-m", "daily", "-k", "log_", f"--env={broken_demo.env_path}")
    assert run.code == 1, run.out
    log = f"{broken_demo.state_dir}/logs/app.log"
    matches = run.check("test_log_matches", "demo-host:app-errors")
    assert matches["outcome"] == "failed"
    assert matches["reason"] == f'count of lines matching "ERROR|CRITICAL" in the last 24h of {log} is 43; limit 10'
    repeats = run.check("test_log_repeats", "demo-host:app-errors")
    assert repeats["outcome"] == "failed"
    assert repeats["reason"].startswith(f"most repeated matching message in the last 24h of {log} is 40x; limit 5x: "
                                        '"production.ERROR: SQLSTATE[HY#] [#] Connection refused (SQL: select * '
                                        "from `products`)")
